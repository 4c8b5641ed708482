// A hostile test script that goes after another app's add-ons (given their addresses and names,
// never their passwords) and tries superuser-only things with its own. Each attempt prints one
// line, `[name] output`, read back by parseAttacks.
import assert from 'node:assert/strict';

export interface Victim { postgres: string; redis: string; socketDir: string }

const q = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

/** The script: bash, psql and redis-cli, as a test script in a repository would use them. */
export function attackScript(v: Victim): string {
  const pgu = new URL(v.postgres);
  const ru = new URL(v.redis);
  return `#!/bin/bash
export PGCONNECT_TIMEOUT=5
unset PGPASSWORD PGPASSFILE
try() { local name=$1; shift; local out; out=$(timeout 20 bash -c '"$@"' _ "$@" 2>&1 </dev/null); echo "[$name] $(printf %s "$out" | tr '\\n' ' ')"; }
VH=${q(pgu.hostname)} VP=${q(pgu.port)} VU=${q(decodeURIComponent(pgu.username))} VD=${q(pgu.pathname.slice(1))} SOCK=${q(v.socketDir)}
RH=${q(ru.hostname)} RP=${q(ru.port)}
[[ $DATABASE_URL =~ ^postgres://([^:@]+):([^@]+)@ ]] && OWNU=\${BASH_REMATCH[1]} OWNP=\${BASH_REMATCH[2]}
[[ $REDIS_URL =~ :([^:@]*)@ ]] && OWNRP=\${BASH_REMATCH[1]}
sql() { psql -w "$DATABASE_URL" -qtA -F ' ' -c "$1"; }
rc() { redis-cli --no-auth-warning -u "$REDIS_URL" "$@"; }
export -f sql rc

try 'superuser, no password' psql -w "postgres://postgres@$VH:$VP/postgres" -tAc 'SELECT 1'
try 'superuser over the socket path' psql -w -h "$SOCK" -p "$VP" -U postgres -d postgres -tAc 'SELECT 1'
try 'victim role, no password' psql -w "postgres://$VU@$VH:$VP/$VD" -tAc 'SELECT * FROM secrets'
try 'victim role, guessed password' psql -w "postgres://$VU:password@$VH:$VP/$VD" -tAc 'SELECT * FROM secrets'
try 'own credentials, victim server' psql -w "postgres://$OWNU:$OWNP@$VH:$VP/$VD" -tAc 'SELECT * FROM secrets'
try 'own database works' sql "CREATE TABLE t (x text); INSERT INTO t VALUES ('1'); SELECT 'own-ok', count(*) FROM t"
try 'trusted extension works' sql "CREATE EXTENSION pgcrypto; SELECT 'ext-ok', length(gen_random_uuid()::text)"
try 'COPY FROM PROGRAM' sql "COPY t FROM PROGRAM 'id'; SELECT x FROM t"
try 'untrusted extension' sql 'CREATE EXTENSION file_fdw'
try 'ALTER SYSTEM' sql "ALTER SYSTEM SET work_mem = '8MB'"
try 'pg_authid' sql 'SELECT rolname, rolpassword FROM pg_authid'
try 'pg_read_file' sql "SELECT pg_read_file('/etc/hostname')"
try 'own role is not superuser' sql 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user'
try 'victim redis, no password' redis-cli -h "$RH" -p "$RP" GET secret
try 'victim redis, own password' redis-cli --no-auth-warning -h "$RH" -p "$RP" --user default --pass "$OWNRP" GET secret
try 'CONFIG SET dir' rc CONFIG SET dir /tmp
try 'CONFIG GET' rc CONFIG GET '*'
try 'MODULE LOAD' rc MODULE LOAD /tmp/evil.so
try 'REPLICAOF' rc REPLICAOF 127.0.0.1 1
try 'DEBUG' rc DEBUG SLEEP 0
try 'ACL SETUSER' rc ACL SETUSER default +@all
try 'own redis works' rc PING
exit 0
`;
}

/** name → what the attempt printed. */
export function parseAttacks(output: string): Record<string, string> {
  return Object.fromEntries([...output.matchAll(/\[([^\]\n]+)\] ?(.*)/g)].map((m) => [m[1]!, m[2]!]));
}

/** With its own URL a tenant works in its own database, and its role can do nothing a superuser could. */
export function assertOwnRoleConfined(r: Record<string, string>): void {
  assert.match(r['own database works']!, /^own-ok 1\s*$/);
  assert.match(r['trusted extension works']!, /^ext-ok 36\s*$/);
  assert.match(r['COPY FROM PROGRAM']!, /must be superuser or have privileges of the pg_execute_server_program role/);
  assert.match(r['untrusted extension']!, /permission denied to create extension "file_fdw"/);
  assert.match(r['ALTER SYSTEM']!, /permission denied to set parameter "work_mem"/);
  assert.match(r['pg_authid']!, /permission denied for table pg_authid/);
}
