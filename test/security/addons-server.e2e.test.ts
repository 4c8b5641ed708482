// Attacks on add-on credentials when every Postgres add-on is a database on one server the operator
// runs (SLIPWAY_ADDON_POSTGRES_URL): a hostile CI run, with a role of its own on the same server,
// goes after an app's database; the role and database are gone with the add-on.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { startPostgres, type PgCluster } from '../helpers/postgres.js';
import { needs } from '../helpers/tools.js';
import { attackScript, parseAttacks, assertOwnRoleConfined } from '../helpers/addon-attacks.js';
import { waitFor } from '../helpers/runs.js';

const skip = needs('postgres', 'redis');
const OPERATOR_PASSWORD = 'operator-secret-9d1c';
let cluster: PgCluster | undefined;
let s: TestServer | undefined;
after(async () => { await s?.stop(); cluster?.stop(); });

async function leftovers(url: string): Promise<{ dbs: string[]; roles: string[] }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const dbs = (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')")).rows.map((r) => r.datname);
    const roles = (await c.query<{ rolname: string }>("SELECT rolname FROM pg_roles WHERE NOT rolsuper AND rolname NOT LIKE 'pg\\_%'")).rows.map((r) => r.rolname);
    return { dbs, roles };
  } finally { await c.end(); }
}

test('server mode: a role per database; another tenant\'s role cannot connect to it, nor anyone without its password; dropped with it', { skip, timeout: 240_000 }, async () => {
  cluster = await startPostgres({ password: OPERATOR_PASSWORD });
  // Reachable on purpose (no network namespaces): the credentials alone must keep other tenants out.
  s = await startServer({ SLIPWAY_ADDON_POSTGRES_URL: cluster.url, SLIPWAY_NETWORK: 'host' });
  assert.equal((await cli(s, ['apps:create', 'victim'])).code, 0);
  for (const plan of ['heroku-postgresql', 'heroku-redis']) assert.equal((await cli(s, ['addons:create', plan, '-a', 'victim'])).code, 0);
  const victim = (await api<Record<string, string>>(s, 'GET', '/apps/victim/config-vars')).json;
  assert.match(victim['DATABASE_URL']!, /^postgres:\/\/u[0-9a-f]{14}:p[0-9a-f]{64}@127\.0\.0\.1:\d+\/d[0-9a-f]{14}$/, 'the role\'s credentials, not the operator\'s');
  const db = new pg.Client({ connectionString: victim['DATABASE_URL'] });
  await db.connect();
  await db.query("CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('victim-row-5e2b')");
  assert.deepEqual((await db.query('SELECT rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = current_user')).rows, [{ rolsuper: false, rolcreatedb: false, rolcreaterole: false }]);
  await db.end();

  assert.equal((await cli(s, ['pipelines:create', 'attacker'])).code, 0);
  const repo = exampleRepo('addons-sql', (d) => {
    fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: {
      addons: ['heroku-postgresql', 'heroku-redis'], buildpacks: [{ url: './bp' }], scripts: { test: './attack.sh' },
    } } }));
    fs.writeFileSync(path.join(d, 'attack.sh'), attackScript({ postgres: victim['DATABASE_URL']!, redis: victim['REDIS_URL']!, socketDir: '/run/postgresql' }), { mode: 0o755 });
  });
  const run = await cli(s, ['ci:run', '-p', 'attacker'], { cwd: repo, timeoutMs: 200_000 });
  const out = run.stdout + run.stderr;
  const r = parseAttacks(out);
  assert.equal(Object.keys(r).length, 22, out);

  assert.match(r['superuser, no password']!, /no password supplied|password authentication failed/);
  assert.match(r['victim role, no password']!, /no password supplied/);
  assert.match(r['victim role, guessed password']!, /password authentication failed for user/);
  // Its own role, with its own password, on the very server the victim's database is on.
  assert.match(r['own credentials, victim server']!, /permission denied for database "d[0-9a-f]{14}"/);
  assertOwnRoleConfined(r);
  assert.match(r['own role is not superuser']!, /^f\s*$/);
  assert.doesNotMatch(out, /victim-row-5e2b/);
  for (const secret of [OPERATOR_PASSWORD, new URL(victim['DATABASE_URL']!).password]) {
    assert.ok(!out.includes(secret) && !s.output().includes(secret), 'no password in the run\'s output or the server log');
  }

  // The run's role and database went with the run; the victim's go with its add-on.
  const victimRole = new URL(victim['DATABASE_URL']!).username;
  await waitFor('the run\'s role to be dropped', async () => JSON.stringify((await leftovers(cluster!.url)).roles) === JSON.stringify([victimRole]));
  assert.equal((await cli(s, ['addons:destroy', 'DATABASE', '-a', 'victim', '--confirm', 'victim'])).code, 0);
  assert.deepEqual(await leftovers(cluster.url), { dbs: [], roles: [] });
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});
