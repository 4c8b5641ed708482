// Add-ons for test runs (lifecycle step 2) with real servers: an ephemeral Postgres cluster and a
// Redis per run, or a database on a configured Postgres server; all gone after the run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { latestRun, nodesOf, casesOf, waitFor } from './helpers/runs.js';
import { leftoverProcesses } from './helpers/processes.js';
import { startPostgres, type PgCluster } from './helpers/postgres.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { needs } from './helpers/tools.js';
import { storeKeyring } from './helpers/sealed.js';
import { portOpen } from './helpers/port-open.js';

interface Addon { name: string; plan: { name: string }; provider: string; state: string; config_vars: string[] }
const skip = needs('postgres', 'redis');
let s: TestServer;

before(async () => { if (!skip) { s = await startServer(); await cli(s, ['pipelines:create', 'addons']); } });
after(async () => { await s?.stop(); });

async function assertTornDown(runId: string) {
  const addons = (await api<Addon[]>(s, 'GET', `/test-runs/${runId}/addons`)).json;
  assert.ok(addons.length > 0);
  assert.ok(addons.every((a) => a.state === 'deprovisioned'), JSON.stringify(addons));
  assert.deepEqual(findMarkedProcesses((m) => m === `addons-${runId}`), [], 'no add-on server process is left');
  assert.equal(fs.existsSync(path.join(s.dataDir, 'workspaces', `addons-${runId}`)), false, 'their data is deleted');
}

test('Postgres and Redis for a 4-node run: real SQL and Redis commands from every node, shared, then gone', { skip, timeout: 180_000 }, async () => {
  const dir = exampleRepo('addons-sql', (d) => {
    const appJson = JSON.parse(fs.readFileSync(path.join(d, 'app.json'), 'utf8'));
    appJson.environments.test.formation = { test: { quantity: 4 } };
    fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify(appJson));
  });
  const r = await cli(s, ['ci:run', '-p', 'addons'], { cwd: dir, timeoutMs: 170_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Provisioned heroku-postgresql:in-dyno as DATABASE_URL/);
  assert.match(r.stdout, /Provisioned heroku-redis:in-dyno as REDIS_URL/);
  const run = await latestRun(s, 'addons');
  assert.deepEqual(run.counts, { passed: 16, failed: 0, skipped: 0, todo: 0 });
  const nodes = await nodesOf(s, run.id);
  assert.deepEqual(nodes.map((n) => n.index), [0, 1, 2, 3]);
  const cases = await casesOf(s, run.id);
  for (const i of [0, 1, 2, 3]) assert.equal(cases.filter((c) => c.test_node.index === i).length, 4, `node ${i} has its own test cases`);
  // The run's end is reported before its add-ons are torn down.
  await waitFor('the run\'s add-ons to be deprovisioned', async () => {
    const addons = (await api<Addon[]>(s, 'GET', `/test-runs/${run.id}/addons`)).json;
    return addons.length > 0 && addons.every((a) => a.state === 'deprovisioned') ? true : undefined;
  }, 15_000);
  const perNode = await cli(s, ['ci:info', String(run.number), '-p', 'addons', '--node', '3']);
  assert.match(perNode.stdout, /add-on heroku-postgresql:in-dyno → DATABASE_URL \(ephemeral-postgres, deprovisioned\)/);
  const json = JSON.parse((await cli(s, ['ci:info', String(run.number), '-p', 'addons', '--json'])).stdout);
  assert.equal(json.addons.length, 2);
  await assertTornDown(run.id);
});

test('the add-on servers are really gone: their ports refuse connections', { skip }, async () => {
  const run = await latestRun(s, 'addons');
  // The API does not hand out add-on URLs; read them from the store itself.
  const db = path.join(s.dataDir, 'slipway.db');
  const Sqlite = (await import('better-sqlite3')).default;
  const conn = new Sqlite(db, { readonly: true });
  const urls = conn.prepare('SELECT url FROM test_run_addons WHERE test_run_id = ?').all(run.id) as { url: string }[];
  conn.close();
  assert.equal(urls.length, 2);
  // Sealed at rest: opened with the server's key.
  for (const url of urls.map((u) => storeKeyring(s).open(u.url))) assert.equal(await portOpen(url), false, `${url} is closed`);
});

test('an unknown add-on → errored naming it; nothing started', { skip }, async () => {
  const dir = exampleRepo('addons-sql', (d) => {
    fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: { addons: ['heroku-redis', 'mystery-db:hobby'], scripts: { test: 'true' } } } }));
  });
  const r = await cli(s, ['ci:run', '-p', 'addons'], { cwd: dir });
  assert.equal(r.code, 1);
  const run = await latestRun(s, 'addons');
  assert.equal(run.status, 'errored');
  assert.match(run.message!, /Unknown add-on "mystery-db:hobby" at app\.json environments\.test\.addons\[1\]/);
  assert.deepEqual(findMarkedProcesses((m) => m === `addons-${run.id}`), []);
});

test('a provider that fails → errored saying which add-on and why; the ones already up are torn down', { skip, timeout: 120_000 }, async () => {
  const broken = await startServer({ SLIPWAY_PG_BIN: '/nonexistent/pg/bin' });
  try {
    await cli(broken, ['pipelines:create', 'broken']);
    const dir = exampleRepo('addons-sql', (d) => {
      fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: { addons: ['heroku-redis', 'heroku-postgresql'], scripts: { test: 'true' } } } }));
    });
    const r = await cli(broken, ['ci:run', '-p', 'broken'], { cwd: dir });
    assert.equal(r.code, 1);
    const run = (await api<{ id: string; status: string; message: string }[]>(broken, 'GET', '/pipelines/broken/test-runs')).json[0]!;
    assert.equal(run.status, 'errored');
    assert.match(run.message, /Add-on heroku-postgresql \(DATABASE_URL\) could not be provisioned: PostgreSQL binaries not found/);
    assert.match(r.stdout, /Provisioned heroku-redis/, 'redis came up first');
    assert.deepEqual(findMarkedProcesses((m) => m === `addons-${run.id}`), [], 'and was torn down');
    const nodes = (await api<{ id: string }[]>(broken, 'GET', `/test-runs/${run.id}/test-nodes`)).json;
    assert.deepEqual(await leftoverProcesses(nodes.map((n) => n.id)), []);
  } finally { await broken.stop(); }
});

let cluster: PgCluster | undefined;
after(() => cluster?.stop());

test('SLIPWAY_ADDON_POSTGRES_URL: a database per run on that server, dropped afterwards', { skip, timeout: 120_000 }, async () => {
  cluster = await startPostgres();
  const server = await startServer({ SLIPWAY_ADDON_POSTGRES_URL: cluster.url });
  try {
    await cli(server, ['pipelines:create', 'shared']);
    const r = await cli(server, ['ci:run', '-p', 'shared'], { cwd: exampleRepo('addons-sql') });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /server-postgres/);
    // The run's end is reported before its add-ons (and its namespaces) are torn down.
    const left = await waitFor('the run\'s database and role to be dropped', async () => {
      const client = new pg.Client({ connectionString: cluster!.url });
      await client.connect();
      const dbs = (await client.query("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1')")).rows;
      const roles = (await client.query("SELECT rolname FROM pg_roles WHERE NOT rolsuper AND rolname NOT LIKE 'pg\\_%'")).rows;
      await client.end();
      return dbs.length === 0 && roles.length === 0 ? true : undefined;
    }, 10_000);
    assert.equal(left, true, 'the run\'s database and its role were dropped');
  } finally { await server.stop(); }
});
