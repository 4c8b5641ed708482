#!/usr/bin/env bash
# Real SQL against DATABASE_URL and real commands against REDIS_URL, reported as TAP.
n=0; fails=0
check() { n=$((n+1)); if [ "$2" = "$3" ]; then echo "ok $n - $1"; else fails=$((fails+1)); echo "not ok $n - $1"; echo "  ---"; echo "  expected: '$3'"; echo "  actual: '$2'"; echo "  ..."; fi; }
echo "TAP version 13"
echo "1..4"
psql "$DATABASE_URL" -q -c "INSERT INTO items (name) VALUES ('node $CI_NODE_INDEX')" >/dev/null
check "postgres stores and returns a row" "$(psql "$DATABASE_URL" -tA -c "SELECT count(*) > 0 FROM items")" "t"
check "the database is the run's own, empty but for this run" "$(psql "$DATABASE_URL" -tA -c "SELECT count(*) FROM items WHERE name NOT LIKE 'node %'")" "0"
redis-cli -u "$REDIS_URL" SET "greeting:$CI_NODE_INDEX" "hello" >/dev/null
check "redis stores and returns a value" "$(redis-cli -u "$REDIS_URL" GET "greeting:$CI_NODE_INDEX")" "hello"
check "redis answers PING" "$(redis-cli -u "$REDIS_URL" PING)" "PONG"
exit $fails
