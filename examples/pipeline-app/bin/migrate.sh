#!/bin/sh
# The release phase: apply every migrations/*.sql not applied yet, each in a transaction.
set -e
if [ -z "$DATABASE_URL" ]; then echo "no database attached: nothing to migrate"; exit 0; fi
psql "$DATABASE_URL" -qv ON_ERROR_STOP=1 -c 'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY)'
for f in migrations/*.sql; do
  v=$(basename "$f" .sql)
  if [ -z "$(psql "$DATABASE_URL" -tAc "SELECT 1 FROM schema_migrations WHERE version = '$v'")" ]; then
    echo "migrating $v"
    psql "$DATABASE_URL" -qv ON_ERROR_STOP=1 --single-transaction -f "$f" -c "INSERT INTO schema_migrations VALUES ('$v')"
  fi
done
echo "schema at $(psql "$DATABASE_URL" -tAc 'SELECT max(version) FROM schema_migrations')"
