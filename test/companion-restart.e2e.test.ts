// The server supervises its companions: SIGKILL the local agent process alone and the server says
// so within NOTICE_MS, starts a new one, and the app serves again through the router within
// SERVE_AGAIN_MS (its dyno adopted by the new agent: the same processes; an app's
// Postgres, which the agent runs, adopted too: the same processes, every row kept); SIGKILL
// the router process alone and routing comes back within ROUTE_AGAIN_MS; an agent that keeps dying
// is started again after growing waits (1 s, 2 s, 4 s …), never in a storm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import pg from 'pg';
import path from 'node:path';
import { startServer, cli, api, viaRouter, serverLogTails, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { freePort } from './helpers/postgres.js';
import { companions } from './helpers/companions.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { needs } from './helpers/tools.js';
import { serverTag, slipwayLeftovers } from './helpers/netns.js';

const A = 'supervised';
/** From the SIGKILL to the server's log line saying so (it checks each companion's pid every 0.5 s). */
const NOTICE_MS = 2000;
/** From the agent's SIGKILL to the app answering again: the 1 s back-off, the agent's start (host set-up, registration) and the dyno's boot. */
const SERVE_AGAIN_MS = 30_000;
/** From the router's SIGKILL to the app answering through the router port again: the 1 s back-off and the router's start. */
const ROUTE_AGAIN_MS = 15_000;

let s: TestServer;
let appId = '';
/** An app with heroku-postgresql: its database runs under the local agent process and outlives it (the next process adopts it). */
const B = 'supervised-pg';
const withPostgres = !needs('postgres');
let addonId = '';
/** The rows of B's table, through its DATABASE_URL as the server has it now (undefined: not reachable yet). */
async function rowsOfB(): Promise<number | undefined> {
  const url = (await api<Record<string, string>>(s, 'GET', `/apps/${B}/config-vars`)).json['DATABASE_URL']!;
  const db = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await db.connect();
    return Number((await db.query<{ n: string }>('SELECT count(*) AS n FROM hits')).rows[0]!.n);
  } catch { return undefined; } finally { await db.end().catch(() => {}); }
}

const ok = (r: { status: number; body: string }) => r.status === 200 && /running code one/.test(r.body);
const served = async () => ok(await viaRouter(s, A).catch(() => ({ status: 0, body: '' })));
const only = (kind: string): number | undefined => { const pids = companions(s.dataDir)[kind]!; return pids.length === 1 ? pids[0] : undefined; };

/** This app's dyno ids that have processes (each dyno's processes carry its id as their marker), and those processes. */
function runningDynos(): { ids: string[]; pids: number[] } {
  const seen = new Set<string>();
  const pids = findMarkedProcesses((m) => { if (!m.startsWith(`dyno-${appId.slice(0, 8)}-`)) return false; seen.add(m); return true; });
  return { ids: [...seen], pids };
}

/** SIGKILL the one companion of `kind`; resolves with its pid and when. */
function killCompanion(kind: string): { pid: number; at: number } {
  const pid = only(kind);
  assert.ok(pid, `one ${kind} process runs: ${JSON.stringify(companions(s.dataDir))}`);
  process.kill(pid, 'SIGKILL');
  return { pid, at: Date.now() };
}

/** The server's line about `pid`'s death, waited for (bounded); resolves with the line and how long it took. */
async function deathLine(kind: string, pid: number, since: number): Promise<{ line: string; ms: number; waitS: number; streak: number }> {
  const re = new RegExp(`^.*${kind}: process ${pid} died \\(([^)]*)\\); starting a new one in ([\\d.]+) s \\(restart (\\d+) in a row\\).*$`, 'm');
  const m = await waitFor(`the server to say the ${kind} process ${pid} died`, () => Promise.resolve(re.exec(s.output()) ?? undefined), 10_000);
  return { line: m[0], ms: Date.now() - since, waitS: Number(m[2]), streak: Number(m[3]) };
}

/** A new companion of `kind` (not `old`) started and said ready; resolves with its pid and when the server said so. */
async function restarted(kind: string, old: number, timeoutMs: number): Promise<{ pid: number; at: number }> {
  const pid = await waitFor(`a new ${kind} process`, async () => {
    const p = only(kind);
    return p !== undefined && p !== old && new RegExp(`${kind}: started process ${p} `).test(s.output()) ? p : undefined;
  }, timeoutMs);
  return { pid, at: Date.now() };
}

before(async () => {
  s = await startServer({ PORT: String(await freePort()), SLIPWAY_ROUTER_PORT: String(await freePort()), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  if (withPostgres) {
    // B's Postgres first: on the agent's network it would get the first address, the one a new agent's first dyno gets.
    assert.equal((await cli(s, ['apps:create', B])).code, 0);
    const add = await cli(s, ['addons:create', 'heroku-postgresql', '-a', B]);
    assert.equal(add.code, 0, add.stdout + add.stderr);
    addonId = (await api<Array<{ id: string }>>(s, 'GET', `/apps/${B}/addons`)).json[0]!.id;
    const url = (await api<Record<string, string>>(s, 'GET', `/apps/${B}/config-vars`)).json['DATABASE_URL']!;
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try { await db.query('CREATE TABLE hits (n serial PRIMARY KEY); INSERT INTO hits SELECT FROM generate_series(1, 5)'); } finally { await db.end(); }
  }
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
  const b = await cli(s, ['builds:create', '-a', A], { cwd: exampleRepo('web-app') });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await waitFor('the app to serve through the router', served, 60_000);
});
after(async () => {
  const dataDir = s.dataDir;
  await s.stop();
  assert.deepEqual(companions(dataDir), { router: [], agent: [] }, 'no companion outlives a clean stop (restarted ones included)');
  assert.deepEqual(findMarkedProcesses((m) => (addonId !== '' && m === `app-addon-${addonId}`) || m.startsWith(`dyno-${appId.slice(0, 8)}-`)), [], 'no dyno nor add-on server is left');
  // Nothing of the server's network nor of the local agent's (the killed agents' namespaces included).
  for (const dir of [dataDir, path.join(dataDir, 'local-agent')]) assert.deepEqual(slipwayLeftovers({ tag: serverTag(dir) }), { netns: [], links: [], tables: [] }, dir);
});

test('SIGKILL the router process: the server says so, starts a new one, and routing comes back within the bound', { timeout: 120_000 }, async () => {
  const { pid, at } = killCompanion('router');
  const death = await deathLine('router', pid, at);
  assert.ok(death.ms <= NOTICE_MS, `noticed after ${death.ms} ms (bound ${NOTICE_MS}): ${death.line}`);
  assert.match(death.line, /router: process \d+ died \((killed by SIGKILL|crashed or was killed)\); starting a new one in 1 s \(restart 1 in a row\)/);
  const next = await restarted('router', pid, ROUTE_AGAIN_MS);
  await waitFor('the app to serve through the new router', served, Math.max(1000, at + ROUTE_AGAIN_MS - Date.now()));
  const tookMs = Date.now() - at;
  console.log(`router: SIGKILL → noticed in ${death.ms} ms, new process ${next.pid} ready in ${next.at - at} ms, routing again in ${tookMs} ms`);
  assert.ok(tookMs <= ROUTE_AGAIN_MS, `routing came back after ${tookMs} ms (bound ${ROUTE_AGAIN_MS})`);
  assert.deepEqual(companions(s.dataDir)['router'], [next.pid], 'exactly one router process');
});

test('SIGKILL the local agent process: the server says so, starts a new one, and the app serves again within the bound', { timeout: 120_000 }, async () => {
  const postgresBefore = findMarkedProcesses((m) => m === `app-addon-${addonId}`);
  assert.ok(!withPostgres || postgresBefore.length > 0, 'B\'s Postgres runs before the kill');
  const urlBefore = withPostgres ? (await api<Record<string, string>>(s, 'GET', `/apps/${B}/config-vars`)).json['DATABASE_URL'] : undefined;
  const dynosBefore = runningDynos();
  assert.equal(dynosBefore.ids.length, 1, `one dyno process tree: ${dynosBefore.ids.join(', ')}`);
  const { pid, at } = killCompanion('agent');
  const death = await deathLine('agent', pid, at);
  assert.ok(death.ms <= NOTICE_MS, `noticed after ${death.ms} ms (bound ${NOTICE_MS}): ${death.line}`);
  assert.equal(death.waitS, 1, death.line);
  const next = await restarted('agent', pid, SERVE_AGAIN_MS);
  try {
    await waitFor('the app to serve again', served, Math.max(1000, at + SERVE_AGAIN_MS - Date.now()));
  } catch (e) { throw new Error(`${(e as Error).message}\n${serverLogTails(s, 120)}`, { cause: e }); }
  if (withPostgres) {
    // The new agent adopted the app's Postgres: the same processes, the same data.
    let rows: number | undefined;
    try {
      rows = await waitFor('the add-on\'s Postgres to answer again', rowsOfB, Math.max(1000, at + SERVE_AGAIN_MS - Date.now()));
    } catch (e) { throw new Error(`${(e as Error).message}\n${serverLogTails(s, 120)}`, { cause: e }); }
    assert.equal(rows, 5, 'every row written before the kill');
    const postgresAfter = findMarkedProcesses((m) => m === `app-addon-${addonId}`);
    assert.deepEqual(postgresAfter.sort((x, y) => x - y), postgresBefore.sort((x, y) => x - y), 'the same Postgres processes: adopted, not started again');
    assert.doesNotMatch(s.output(), /starting add-on/, 'no add-on start failed');
    // A's dyno may start on the new agent before the add-on is adopted: it must not take the add-on's address (B's URL would change).
    assert.equal((await api<Record<string, string>>(s, 'GET', `/apps/${B}/config-vars`)).json['DATABASE_URL'], urlBefore, 'the add-on kept its address');
  }
  const tookMs = Date.now() - at;
  console.log(`agent: SIGKILL → noticed in ${death.ms} ms, new process ${next.pid} ready in ${next.at - at} ms, serving again in ${tookMs} ms${withPostgres ? ', the add-on\'s Postgres answering again' : ''}`);
  assert.ok(tookMs <= SERVE_AGAIN_MS, `served again after ${tookMs} ms (bound ${SERVE_AGAIN_MS})`);
  assert.deepEqual(companions(s.dataDir)['agent'], [next.pid], 'exactly one agent process');
  // The killed agent's dyno outlived it and was adopted by the new one: the same dyno, the same processes, none started beside it.
  const after = runningDynos();
  assert.deepEqual(after.ids, dynosBefore.ids, 'the same desired dyno runs, once');
  assert.deepEqual(after.pids.sort(), dynosBefore.pids.sort(), 'the same dyno processes, adopted');
  // The new agent offered the router to its network again (a leftover socket of the killed one must not stop it).
  const agentLog = fs.readFileSync(path.join(s.dataDir, 'companions', 'agent.log'), 'utf8');
  assert.doesNotMatch(agentLog, /offering the router to the default network/, 'the router door was offered again');
});

test('an agent that keeps dying is started again after growing waits, and serves once it stays up', { timeout: 180_000 }, async () => {
  const waits: number[] = [];
  for (let i = 0; i < 3; i++) {
    const { pid, at } = killCompanion('agent');
    const death = await deathLine('agent', pid, at);
    const next = await restarted('agent', pid, 60_000);
    assert.ok(next.at - at >= death.waitS * 1000, `the new agent started ${next.at - at} ms after the SIGKILL, not before the ${death.waitS} s wait: ${death.line}`);
    waits.push(death.waitS);
  }
  console.log(`agent killed 3 more times in a row: restarted after waits of ${waits.join(' s, ')} s`);
  // The first test's kill began the streak (1 s): these continue it.
  assert.deepEqual(waits, [2, 4, 8], 'each death in a row doubles the wait');
  await waitFor('the app to serve again', served, SERVE_AGAIN_MS);
  assert.equal(companions(s.dataDir)['agent']!.length, 1, 'one agent process after the storm');
});
