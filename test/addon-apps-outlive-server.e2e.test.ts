// Apps with add-on servers outlive the server too: their Postgres runs in the local agent process
// beside their dynos, not in the server. SIGKILL the server while a steady load writes to the
// database through the router: no request fails while it is down and comes back, the restarted
// server adopts the agent, and the same dyno and Postgres processes serve (none started twice, none
// restarted); the rows written meanwhile are all there; a clean stop leaves nothing behind.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startServer, cli, api, viaRouter, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { servedWhileDown, steadyLoad } from './helpers/load.js';
import { waitFor } from './helpers/runs.js';
import { freePort } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import Database from 'better-sqlite3';
import { dynoPlacement } from './helpers/dyno-placement.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { companions } from './helpers/companions.js';
import { serverTag, slipwayLeftovers } from './helpers/netns.js';

const A = 'outlives-pg';
const DOWN_MS = 5000;
const skip = needs('postgres');
let s: TestServer;
let env: Record<string, string>;
let routerPort: number;
let appId = '';
let addonId = '';

// The web dyno keeps one psql session open (a restarted database would end it) and writes a row per request.
const SERVER_JS = `const http = require('node:http');
const { spawn } = require('node:child_process');
let psql, waiting = [], out = '';
function open() {
  psql = spawn('psql', [process.env.DATABASE_URL, '-tAq', '-v', 'ON_ERROR_STOP=0'], { stdio: ['pipe', 'pipe', 'inherit'] });
  psql.stdout.on('data', (c) => { out += c; let i; while ((i = out.indexOf('\\n')) >= 0) { const line = out.slice(0, i); out = out.slice(i + 1); waiting.shift()?.(line); } });
  psql.on('exit', (code) => { console.log('psql exited ' + code); for (const w of waiting.splice(0)) w('psql exited'); process.exit(1); });
}
open();
const query = (sql) => new Promise((resolve) => { waiting.push(resolve); psql.stdin.write(sql + '\\n'); });
http.createServer(async (req, res) => {
  const n = await query('INSERT INTO hits DEFAULT VALUES RETURNING n;');
  res.writeHead(/^\\d+$/.test(n) ? 200 : 500, { 'content-type': 'text/plain' });
  res.end('hit ' + n + ' from ' + process.env.DYNO + '\\n');
}).listen(process.env.PORT, () => console.log('listening on ' + process.env.PORT));
process.on('SIGTERM', () => process.exit(0));
`;

/** The pids of processes whose marker starts with `prefix` (a dyno's id, an add-on's). */
const marked = (prefix: string): number[] => findMarkedProcesses((m) => m.startsWith(prefix)).sort((a, b) => a - b);


before(async () => {
  if (skip) return;
  routerPort = await freePort();
  env = { PORT: String(await freePort()), SLIPWAY_ROUTER_PORT: String(routerPort), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' };
  s = await startServer(env);
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
});

after(async () => {
  if (skip) return;
  const dataDir = s.dataDir;
  await s.stop();
  assert.deepEqual(companions(dataDir), { router: [], agent: [] }, 'no companion outlives a clean stop');
  if (addonId) assert.deepEqual(marked(`app-addon-${addonId}`), [], 'no add-on server outlives a clean stop');
  if (appId) assert.deepEqual(marked(`dyno-${appId.slice(0, 8)}-`), [], 'no dyno outlives a clean stop');
  // Nothing of the server's network nor of the local agent's (where the add-on's namespace was).
  for (const dir of [dataDir, path.join(dataDir, 'local-agent')]) assert.deepEqual(slipwayLeftovers({ tag: serverTag(dir) }), { netns: [], links: [], tables: [] }, dir);
});

test('an app with heroku-postgresql: SIGKILL and restart under load, 0 failed requests, the same dyno and Postgres adopted, every row kept', { skip, timeout: 300_000 }, async (t) => {
  const add = await cli(s, ['addons:create', 'heroku-postgresql', '-a', A]);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  addonId = (await api<Array<{ id: string }>>(s, 'GET', `/apps/${A}/addons`)).json[0]!.id;
  assert.ok(fs.existsSync(path.join(s.dataDir, 'local-agent', 'workspaces', `app-addon-${addonId}`)), 'the add-on\'s data is the local agent\'s');
  // The release phase makes the table: it runs where it reaches the database (on the local agent).
  const dir = exampleRepo('web-app', (d) => {
    fs.writeFileSync(path.join(d, 'server.js'), SERVER_JS);
    fs.writeFileSync(path.join(d, 'Procfile'), 'web: node server.js\nrelease: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS hits (n serial PRIMARY KEY)"\n');
  });
  const b = await cli(s, ['builds:create', '-a', A], { cwd: dir });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.deepEqual(dynoPlacement(s.dataDir, A), { 'web.1': 'local' }, 'the dyno runs on the local agent process, not in the server (local-server)');
  const ok = (r: { status: number; body: string }) => r.status === 200 && /^hit \d+ from web\.1/.test(r.body);
  await waitFor('the app writes to its database', async () => ok(await viaRouter({ routerPort }, A)), 60_000);

  const agentBefore = companions(s.dataDir);
  const dynosBefore = marked(`dyno-${appId.slice(0, 8)}-`);
  const postgresBefore = marked(`app-addon-${addonId}`);
  assert.equal(agentBefore['agent']!.length, 1);
  assert.ok(dynosBefore.length > 0 && postgresBefore.length > 0, `dyno ${dynosBefore.join(', ')}; postgres ${postgresBefore.join(', ')}`);
  const load = steadyLoad({ routerPort }, A, ok, { intervalMs: 30, maxMs: 120_000 });
  await new Promise((r) => setTimeout(r, 1000));

  await s.kill();
  assert.deepEqual(marked(`app-addon-${addonId}`), postgresBefore, 'Postgres outlives the server');
  const whileDown = await servedWhileDown({ routerPort }, A, ok, DOWN_MS);
  s = await startServer(env, s.dataDir);
  await new Promise((r) => setTimeout(r, 3000)); // the agent and router reconnect under load
  const { failures, served } = await load.stop();
  assert.equal(failures, 0, `${failures} of ${failures + served} requests failed across the SIGKILL and restart`);
  assert.ok(served > 50 && whileDown > 10, `served ${served} (${whileDown} while the server was down)`);
  assert.match(s.output(), /agent: adopted the running process/);
  assert.doesNotMatch(s.output(), /starting add-on/, 'no add-on start failed');
  assert.deepEqual(companions(s.dataDir), agentBefore, 'the same router and agent processes');
  await new Promise((r) => setTimeout(r, 2500)); // a few reconcile passes: nothing more starts
  assert.deepEqual(marked(`dyno-${appId.slice(0, 8)}-`), dynosBefore, 'the same dyno processes, none started twice');
  assert.deepEqual(marked(`app-addon-${addonId}`), postgresBefore, 'the same Postgres processes: adopted, not restarted');

  // Every request served wrote a row, while the server was down too; they are all there.
  const url = (await api<Record<string, string>>(s, 'GET', `/apps/${A}/config-vars`)).json['DATABASE_URL']!;
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    const count = Number((await db.query<{ c: string }>('SELECT count(*) AS c FROM hits')).rows[0]!.c);
    assert.ok(count >= served + whileDown, `${count} rows for ${served + whileDown} requests served`);
    t.diagnostic(`served ${served} requests under load (${whileDown} more while the server was down ${DOWN_MS} ms), 0 failed; ${count} rows`);
  } finally { await db.end(); }

  // A one-off of the app runs on the local agent too, and reaches the database.
  const run = await cli(s, ['run', '-a', A, '--', 'psql "$DATABASE_URL" -tAc "SELECT count(*) > 0 FROM hits"'], { timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /^t$/m);
});

test('add-ons made before (in the server, no agent recorded): the next start moves them into the local agent process, the app\'s dyno follows, the data stays', { skip, timeout: 300_000 }, async () => {
  const B = 'moved-pg';
  const port = String(await freePort());
  const router = await freePort();
  let old = await startServer({ PORT: port, SLIPWAY_ROUTER_PORT: String(router), SLIPWAY_LOCAL_AGENT: 'in-process', SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  let id: string | undefined;
  try {
    assert.equal((await cli(old, ['apps:create', B])).code, 0);
    assert.equal((await cli(old, ['addons:create', 'heroku-postgresql', '-a', B])).code, 0);
    id = (await api<Array<{ id: string }>>(old, 'GET', `/apps/${B}/addons`)).json[0]!.id;
    assert.ok(fs.existsSync(path.join(old.dataDir, 'workspaces', `app-addon-${id}`)), 'in the server\'s folder, as before');
    const dir = exampleRepo('web-app', (d) => {
      fs.writeFileSync(path.join(d, 'server.js'), SERVER_JS);
      fs.writeFileSync(path.join(d, 'Procfile'), 'web: node server.js\nrelease: psql "$DATABASE_URL" -v ON_ERROR_STOP=1 -c "CREATE TABLE IF NOT EXISTS hits (n serial PRIMARY KEY)"\n');
    });
    assert.equal((await cli(old, ['builds:create', '-a', B], { cwd: dir })).code, 0);
    const ok = (r: { status: number; body: string }) => r.status === 200 && /^hit \d+ from web\.1/.test(r.body);
    await waitFor('served in-process', async () => ok(await viaRouter({ routerPort: router }, B)), 60_000);
    for (let i = 0; i < 5; i++) assert.ok(ok(await viaRouter({ routerPort: router }, B)));
    // Supervised by the server too (no local agent process): its postmaster SIGKILLed, it is started again
    // at the same URL with its rows, and the dyno (its psql session cut, it crashes and restarts) reconnects.
    const postmaster = fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map(Number).find((p) => {
      try { const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'latin1'); return cmd.startsWith('/usr/lib/postgresql/') && cmd.includes(`app-addon-${id}`); } catch { return false; }
    });
    assert.ok(postmaster, 'the add-on\'s postmaster runs');
    const url = (await api<Record<string, string>>(old, 'GET', `/apps/${B}/config-vars`)).json['DATABASE_URL'];
    process.kill(postmaster, 'SIGKILL');
    const server = old;
    await waitFor('the add-on shown up again after one restart', async () => {
      const a = (await api<Array<{ server: { state: string; restarts: number; last_exit: string | null } }>>(server, 'GET', `/apps/${B}/addons`)).json[0]!;
      return a.server.state === 'up' && a.server.restarts === 1 && a.server.last_exit === 'process exited with status 137';
    }, 60_000);
    assert.equal((await api<Record<string, string>>(old, 'GET', `/apps/${B}/config-vars`)).json['DATABASE_URL'], url, 'the same URL');
    await waitFor('served again, the rows written before kept', async () => {
      const r = await viaRouter({ routerPort: router }, B).catch(() => ({ status: 0, body: '' }));
      return ok(r) && Number(/^hit (\d+)/.exec(r.body)![1]) > 5;
    }, 60_000);
    assert.match((await cli(old, ['logs', '-a', B, '-n', '300'])).stdout, /heroku\[heroku-postgresql-\w+\]: heroku-postgresql-\w+: process exited with status 137; state changed to crashed; starting it again at the same address in 1 s \(restart 1\)/);
    await old.stop();
    // As an add-on made before its agent was recorded (migration 032).
    const db = new Database(path.join(old.dataDir, 'slipway.db'));
    db.prepare('UPDATE app_addons SET agent_id = NULL').run();
    db.close();

    old = await startServer({ PORT: port, SLIPWAY_ROUTER_PORT: String(router), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' }, old.dataDir);
    assert.ok(fs.existsSync(path.join(old.dataDir, 'local-agent', 'workspaces', `app-addon-${id}`)), 'moved into the local agent\'s folder');
    assert.ok(!fs.existsSync(path.join(old.dataDir, 'workspaces', `app-addon-${id}`)));
    assert.ok(marked(`app-addon-${id}`).length > 0, 'run by the local agent process');
    let last = '';
    await waitFor('served from the local agent, with the rows written before', async () => {
      last = (await viaRouter({ routerPort: router }, B)).body;
      return /^hit (\d+) from web\.1/.test(last) && Number(/^hit (\d+)/.exec(last)![1]) > 6;
    }, 90_000).catch((e: Error) => { throw new Error(`${e.message}; last answer: ${last.slice(0, 300)}; server: ${old.output().slice(-3000)}`); });
    const rows = new Database(path.join(old.dataDir, 'slipway.db'), { readonly: true });
    try {
      const where = rows.prepare('SELECT g.name FROM desired_dynos d JOIN apps a ON a.id = d.app_id JOIN agents g ON g.id = d.agent_id WHERE a.name = ?').all(B) as Array<{ name: string }>;
      assert.deepEqual(where.map((r) => r.name), ['local']);
    } finally { rows.close(); }
  } finally {
    await old.stop();
  }
  assert.deepEqual(companions(old.dataDir), { router: [], agent: [] });
  if (id) assert.deepEqual(marked(`app-addon-${id}`), [], 'its add-on server stops with a clean stop');
});
