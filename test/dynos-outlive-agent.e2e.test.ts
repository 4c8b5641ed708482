// Dynos outlive the local agent process: an app at web=2 under steady load through the router while
// (a) the agent is SIGKILLed — the supervisor starts a new one that adopts the same dyno processes,
// no request fails, and a line a dyno printed while no agent ran reaches the app's log; (c) an adopted
// dyno's process is killed — its crash is said with its exit status and it is restarted, and a scale
// down stops an adopted dyno; (d) a companion stopped with SIGSTOP (pid alive, socket silent) is found
// hung within HANG_MS, killed and replaced (the router: the app serves again; the agent: its dynos are
// adopted, nothing fails); (b) a restart of the server with another companion version
// (SLIPWAY_TEST_COMPANION_VERSION_TAG, as an upgrade) replaces both companions, the dynos handed over
// to the new agent and adopted, nothing failing, and the next restart of that version adopts them.
// The app has heroku-postgresql and heroku-redis add-ons, whose servers outlive the agent process as
// its dynos do: across (a), (d) and (b) the same Postgres and Redis processes serve, and a session
// the test holds open on the database runs queries throughout without one failing (its rows all
// there); a server whose process was gone when the agent was replaced starts again at its URL with
// its data; addons:destroy of an adopted one removes it all; (e) a clean stop ends them too and
// keeps their data.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, api, viaRouter, serverLogTails, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { freePort } from './helpers/postgres.js';
import { companions } from './helpers/companions.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { hangDetectedWithinMs } from '../src/companions/companion-hang.js';
import { alive } from '../src/companions/companions.js';
import { steadyLoad } from './helpers/load.js';
import fs from 'node:fs';
import { leftoverMounts } from './helpers/mounts.js';
import { agentTag, slipwayLeftovers } from './helpers/netns.js';
import { queryLoop, type QueryLoop } from './helpers/db-load.js';
import { redisCommand } from './helpers/redis.js';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import pg from 'pg';
import { inNs } from './helpers/netns.js';

const A = 'outlive-agent';
/** From the SIGSTOP to the server's line saying the process is hung (3 unanswered pings), with a second for the log to be read. */
const HANG_MS = hangDetectedWithinMs() + 1000;
/** From the hang's line to the app answering through the router again: the 1 s back-off, the companion's start, a dyno's boot. */
const SERVE_AGAIN_MS = 30_000;

let s: TestServer;
let env: Record<string, string>;
let appId = '';
let addonIds: string[] = [];
let config: Record<string, string> = {};

const ok = (r: { status: number; body: string }) => r.status === 200 && /running code one/.test(r.body);
const served = async () => ok(await viaRouter(s, A).catch(() => ({ status: 0, body: '' })));
const only = (kind: string): number => {
  const pids = companions(s.dataDir)[kind]!;
  assert.equal(pids.length, 1, `one ${kind} process: ${JSON.stringify(companions(s.dataDir))}`);
  return pids[0]!;
};
const dynoPids = () => findMarkedProcesses((m) => m.startsWith(`dyno-${appId.slice(0, 8)}-`)).sort((a, b) => a - b);
/**
 * The processes of the app's add-on servers, found by their command lines (the data folder or the
 * address they serve): redis-server and postgres's workers rewrite their environment for their
 * titles, so their marker is not found there.
 */
const addonPids = (): number[] => {
  const redis = config['REDIS_URL'] && new URL(config['REDIS_URL']).host;
  const found: number[] = [];
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    let cmd = '';
    try { cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' '); } catch { continue; }
    if (addonIds.some((id) => cmd.includes(`app-addon-${id}`)) || (redis && cmd.startsWith(`redis-server ${redis}`))) found.push(Number(p));
  }
  return found.sort((a, b) => a - b);
};
/** The main postgres process (its workers come and go) and redis-server: what must be the same processes after an agent's replacement. */
const serverPids = () => addonPids().filter((p) => {
  try { return /^(\/usr\/lib\/postgresql\/\d+\/bin\/postgres|redis-server) /.test(fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').replace(/\0/g, ' ')); } catch { return false; }
});
/** The default network's firewall set of (sandbox . add-on) pairs allowed to connect, as the agent loaded it. */
const accessPairs = (): string[] => {
  const out = execFileSync('nft', ['list', 'set', 'inet', `slipwaynet_${agentTag(s.dataDir)}`, 'access'], { encoding: 'utf8' });
  return [...out.matchAll(/(\d+\.\d+\.\d+\.\d+) \. (\d+\.\d+\.\d+\.\d+)/g)].map((m) => `${m[1]} > ${m[2]}`).sort();
};
/** Each of the app's dynos (their recorded addresses) to each of its add-ons: the only pairs there should be. */
const expectedPairs = (): string[] => {
  const dir = path.join(s.dataDir, 'local-agent', 'dynos');
  const oneOffDir = path.join(s.dataDir, 'local-agent', 'one-offs');
  // The app's detached one-offs reach its add-ons too.
  const dynos = [dir, oneOffDir].flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((f) => f.endsWith('.json')).map((f) => (JSON.parse(fs.readFileSync(path.join(d, f), 'utf8')) as { net: { address: string } }).net.address) : []));
  const addons = ['DATABASE_URL', 'REDIS_URL'].map((k) => new URL(config[k]!).hostname);
  return dynos.flatMap((d) => addons.map((a) => `${d} > ${a}`)).sort();
};
/** Queries on an open session to the app's Postgres across what a test does to the agent: none may fail. */
const queries = (name: string): Promise<QueryLoop> => queryLoop(config['DATABASE_URL']!, name, { intervalMs: 20, maxMs: 180_000 });
/** The loop stopped, after the add-on servers were found the same processes as `servers` (a restarted Postgres is said first). */
async function assertQueriesSurvived(q: QueryLoop, what: string, servers: number[]): Promise<string> {
  const r = await q.stop();
  assert.deepEqual(serverPids(), servers, `the same postgres and redis-server processes ${what}: adopted, none restarted`);
  assert.equal(r.failures, 0, `${r.failures} of ${r.ok + r.failures} queries failed ${what} (first: ${r.firstError})`);
  assert.ok(r.sameSession, `the same database session ${what}`);
  assert.equal(r.rows, r.ok, `every row inserted ${what} is there`);
  return `${r.ok} queries on one session, none failed`;
}
type DynoJson = { id: string; name: string; state: string };
const upWebs = async () => (await api<DynoJson[]>(s, 'GET', `/apps/${A}/dynos`)).json.filter((d) => d.name.startsWith('web.') && d.state === 'up');
const load = () => steadyLoad(s, A, ok, { intervalMs: 20, maxMs: 180_000 });
/** The app's log (the last lines), through the real CLI. */
const logs = async () => (await cli(s, ['logs', '-a', A, '-n', '1500'])).stdout;

/**
 * A detached one-off that prints a line every 100 ms until the test asks it to stop (a file in its
 * home), then writes a file and says what it holds: started before something is done to the agent.
 */
async function countingOneOff(): Promise<{ name: string; id: string; pid: number; startTime: string }> {
  const r = await cli(s, ['run', '--detached', '-a', A, 'i=0; while [ ! -e stop-now ] && [ $i -lt 3000 ]; do i=$((i+1)); echo "line $i"; sleep 0.1; done; echo "finished after $i" > end.txt; echo "end file: $(cat end.txt)"']);
  assert.equal(r.code, 0, r.stderr);
  const name = /as (run\.\d+)/.exec(r.stdout)![1]!;
  await waitFor(`${name}'s fifth line`, async () => oneOffLines(await oneOffLog(name), name).includes('line 5'), 60_000)
    .catch(async (e: Error) => { throw new Error(`${e.message}\n${await oneOffLog(name)}\n${serverLogTails(s, 60)}`, { cause: e }); });
  const dir = path.join(s.dataDir, 'local-agent', 'one-offs');
  const rec = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { job: { payload: string }; proc: { pid: number; startTime: string } })
    .find((x) => (JSON.parse(x.job.payload) as { name: string }).name === name)!;
  assert.ok(rec, `${name} is recorded by the agent`);
  return { name, id: (JSON.parse(rec.job.payload) as { id: string }).id, pid: rec.proc.pid, startTime: rec.proc.startTime };
}
const oneOffLog = async (name: string) => (await cli(s, ['logs', '-a', A, '-d', name, '-n', '1500'])).stdout;
const oneOffLines = (log: string, name: string) => log.split('\n').filter((l) => l.includes(`app[${name}]: `)).map((l) => l.slice(l.indexOf(`app[${name}]: `) + name.length + 7));
const startTimeOf = (pid: number) => { try { return fs.readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ')[19]; } catch { return undefined; } };
/** The one-off still the same process (not restarted), asked to stop: it ran to its end, each of its lines once in order, its end recorded once, nothing of it left. */
async function countedToItsEnd(o: { name: string; id: string; pid: number; startTime: string }, what: string): Promise<string> {
  assert.equal(startTimeOf(o.pid), o.startTime, `${o.name} is the same process ${what}`);
  const seen = oneOffLines(await oneOffLog(o.name), o.name).length;
  await waitFor(`${o.name}'s lines sent by the new agent process`, async () => oneOffLines(await oneOffLog(o.name), o.name).length > seen + 3, 30_000);
  fs.writeFileSync(path.join(s.dataDir, 'local-agent', 'workspaces', o.id, 'app', 'stop-now'), '');
  const log = await waitFor(`${o.name}'s end`, async () => { const l = await oneOffLog(o.name); return /Process exited with status/.test(l) ? l : undefined; }, 30_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${serverLogTails(s, 40)}`, { cause: e }); });
  const lines = oneOffLines(log, o.name);
  const n = Number(/^end file: finished after (\d+)$/.exec(lines[lines.length - 1] ?? '')?.[1]);
  assert.ok(n > 5, `${o.name} wrote its file at its end: ${lines.slice(-3).join(' | ')}`);
  assert.deepEqual(lines, [...Array.from({ length: n }, (_, k) => `line ${k + 1}`), `end file: finished after ${n}`], `every line of ${o.name} once, in order, none missing ${what}`);
  assert.equal(log.split(`heroku[${o.name}]: Process exited with status 0`).length - 1, 1, `${o.name}'s end recorded once, with 0`);
  assert.doesNotMatch(log, /Process lost/);
  await waitFor(`nothing of ${o.name} left`, async () => !findMarkedProcesses((m) => m === o.id).length && !fs.existsSync(path.join(s.dataDir, 'local-agent', 'workspaces', o.id))
    && !fs.readdirSync(path.join(s.dataDir, 'local-agent', 'one-offs')).length, 15_000);
  return `${o.name} ran on ${what}: ${n} lines, each once`;
}

/** A new agent process (not `old`) that said it adopted the dynos; its pid. */
async function adoptedBy(old: number, timeoutMs: number): Promise<number> {
  return waitFor('a new agent process that adopted the dynos', async () => {
    const p = companions(s.dataDir)['agent']!;
    if (p.length !== 1 || p[0] === old) return undefined;
    const agentLog = fs.readFileSync(`${s.dataDir}/companions/agent.log`, 'utf8');
    return /adopted 2 of 2 dyno\(s\) an earlier process of this agent left running/.test(agentLog.slice(agentLog.lastIndexOf('registered with'))) ? p[0] : undefined;
  }, timeoutMs);
}

before(async () => {
  env = { PORT: String(await freePort()), SLIPWAY_ROUTER_PORT: String(await freePort()), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30', SLIPWAY_DYNO_STOP_GRACE_SECONDS: '5' };
  s = await startServer(env);
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
  for (const plan of ['heroku-postgresql', 'heroku-redis']) {
    const add = await cli(s, ['addons:create', plan, '-a', A]);
    assert.equal(add.code, 0, add.stdout + add.stderr);
  }
  addonIds = (await api<Array<{ id: string }>>(s, 'GET', `/apps/${A}/addons`)).json.map((a) => a.id);
  config = (await api<Record<string, string>>(s, 'GET', `/apps/${A}/config-vars`)).json;
  assert.equal(serverPids().length, 2, `postgres and redis-server run: ${addonPids().join(' ')}`);
  assert.match(await redisCommand(config['REDIS_URL']!, ['SET', 'kept', 'across-agents']), /^\+OK/);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: exampleRepo('web-app') });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await waitFor('the app to serve through the router', served, 60_000);
  assert.equal((await cli(s, ['ps:scale', 'web=2', '-a', A])).code, 0);
  await waitFor('web.1 and web.2 up', async () => (await upWebs()).length === 2, 60_000);
});
after(async () => {
  const dataDir = s.dataDir;
  await s.stop();
  assertNothingLeft(dataDir);
});

/** After a clean stop of the server: no companion, no dyno or add-on process, no workspace filesystem or loop device, no namespace of its agent; the add-ons' data kept. */
function assertNothingLeft(dataDir: string): void {
  assert.deepEqual(companions(dataDir), { router: [], agent: [] }, 'no companion outlives a clean stop');
  assert.deepEqual(dynoPids(), [], 'no dyno is left');
  assert.deepEqual(addonPids(), [], 'no add-on server is left');
  const agentDir = path.join(dataDir, 'local-agent');
  assert.deepEqual(fs.existsSync(path.join(agentDir, 'addons')) ? fs.readdirSync(path.join(agentDir, 'addons')) : [], [], 'no add-on record is left');
  assert.deepEqual(fs.existsSync(path.join(agentDir, 'one-offs')) ? fs.readdirSync(path.join(agentDir, 'one-offs')) : [], [], 'no one-off record is left');
  for (const id of addonIds) assert.ok(fs.existsSync(path.join(agentDir, 'workspaces', `app-addon-${id}`)), `add-on ${id}'s data is kept`);
  assert.deepEqual(leftoverMounts(dataDir), [], 'no workspace filesystem nor loop device is left');
  assert.deepEqual(slipwayLeftovers({ tag: agentTag(dataDir) }), { netns: [], links: [], tables: [] }, 'nothing of the agent\'s networks is left');
}

test('SIGKILL the local agent: a new one adopts the same dyno processes, no request fails, and output printed meanwhile reaches the log', { timeout: 180_000 }, async () => {
  const before = dynoPids();
  assert.ok(before.length >= 2, `the dynos run: ${before.join(' ')}`);
  const pid = only('agent');
  const servers = serverPids();
  const oneOff = await countingOneOff();
  const q = await queries('sigkill');
  const l = load();
  await new Promise((r) => setTimeout(r, 500));
  process.kill(pid, 'SIGKILL');
  const at = Date.now();
  // While no agent runs: the router still reaches the dynos, and a dyno prints a line nobody reads yet.
  const r = await viaRouter(s, A, '/log/while-no-agent');
  assert.ok(ok(r), `served while no agent runs: ${r.status}`);
  const next = await adoptedBy(pid, 30_000).catch(async (e: Error) => { await l.stop(); throw new Error(`${e.message}\n${serverLogTails(s, 80)}`, { cause: e }); });
  await new Promise((res) => setTimeout(res, 1500)); // a few requests with the new agent
  const { failures, served: n } = await l.stop();
  assert.equal(failures, 0, `${failures} of ${failures + n} requests failed across the agent's SIGKILL`);
  assert.deepEqual(dynoPids(), before, 'the same dyno processes run, adopted: none restarted');
  const said = await assertQueriesSurvived(q, 'across the agent\'s SIGKILL', servers);
  assert.match(fs.readFileSync(`${s.dataDir}/companions/agent.log`, 'utf8'), /adopted 2 of 2 add-on server\(s\) an earlier process of this agent left running/);
  assert.match(await redisCommand(config['REDIS_URL']!, ['GET', 'kept']), /across-agents/);
  assert.deepEqual(accessPairs(), expectedPairs(), 'the adopted add-ons are reachable from the app\'s dynos and nothing else of the network');
  await waitFor('the line printed while no agent ran, in the app\'s log', async () => /app\[web\.\d\]: logged while-no-agent$/m.test(await logs()), 20_000);
  console.log(await countedToItsEnd(oneOff, 'across the agent\'s SIGKILL'));
  console.log(`agent SIGKILLed: new process ${next} adopted the dynos and add-on servers after ${Date.now() - at} ms; ${n} requests served, none failed; ${said}`);
});

test('an adopted dyno that crashes is said with its exit status and restarted; a scale down stops an adopted dyno', { timeout: 180_000 }, async () => {
  const webs = await upWebs();
  const victim = webs.find((d) => d.name === 'web.1')!;
  // The dyno's own program (its innermost process: node server.js), not the sandbox around it.
  const app = findMarkedProcesses((m) => m === victim.id).find((p) => /node/.test(fs.readFileSync(`/proc/${p}/cmdline`, 'latin1')) && !/bwrap/.test(fs.readFileSync(`/proc/${p}/cmdline`, 'latin1')));
  assert.ok(app, `web.1's node process (${findMarkedProcesses((m) => m === victim.id).join(' ')})`);
  process.kill(app, 'SIGKILL');
  await waitFor('the crash in the app\'s log', async () => /heroku\[web\.1\]: web\.1: process exited with status 137$/m.test(await logs()), 20_000);
  assert.match(await logs(), /heroku\[web\.1\]: web\.1: state changed to crashed; restarting in \d+ s/);
  await waitFor('web.1 up again', async () => (await upWebs()).some((d) => d.name === 'web.1'), 60_000);
  const beforeScale = dynoPids();
  assert.equal((await cli(s, ['ps:scale', 'web=1', '-a', A])).code, 0);
  await waitFor('web.2 stopped', async () => (await upWebs()).length === 1 && dynoPids().length < beforeScale.length, 60_000);
  await waitFor('web.2 gone from the app\'s log', async () => /Stopping web\.2 \(SIGTERM\)/.test(await logs()), 20_000);
  assert.equal((await cli(s, ['ps:scale', 'web=2', '-a', A])).code, 0);
  await waitFor('web.1 and web.2 up', async () => (await upWebs()).length === 2, 60_000);
});

for (const kind of ['router', 'agent']) {
  test(`SIGSTOP the ${kind} process: found hung within the bound, killed, started again, and the app serves again`, { timeout: 120_000 }, async () => {
    const pid = only(kind);
    const dynosBefore = dynoPids();
    const servers = serverPids();
    // The agent's dynos serve while it is stopped and replaced; the router's replacement is a gap in routing.
    const l = kind === 'agent' ? load() : undefined;
    process.kill(pid, 'SIGSTOP');
    const at = Date.now();
    try {
      const re = new RegExp(`${kind}: process ${pid} runs but has not answered on its socket for [\\d.]+ s \\(3 pings in a row\\): killing it`);
      await waitFor(`the server to find the ${kind} hung`, async () => re.test(s.output()), HANG_MS);
      const foundMs = Date.now() - at;
      // Said once the kill is done (the line above comes before it).
      await waitFor(`the server to have killed the hung ${kind}`, async () => new RegExp(`${kind}: process ${pid} hung \\(killed after 3 unanswered pings\\); starting a new one in [\\d.]+ s`).test(s.output()), SERVE_AGAIN_MS);
      assert.ok(!alive(pid), `the hung process ${pid} was killed`);
      const next = await waitFor(`a new ${kind} process`, async () => {
        const p = companions(s.dataDir)[kind]!;
        return p.length === 1 && p[0] !== pid && new RegExp(`${kind}: started process ${p[0]} `).test(s.output()) ? p[0] : undefined;
      }, SERVE_AGAIN_MS);
      await waitFor('the app to serve again', served, SERVE_AGAIN_MS);
      if (l) {
        await adoptedBy(pid, SERVE_AGAIN_MS);
        const { failures, served: n } = await l.stop();
        assert.equal(failures, 0, `${failures} of ${failures + n} requests failed while the agent was stopped and replaced`);
        assert.deepEqual(dynoPids(), dynosBefore, 'the same dyno processes, adopted');
      }
      assert.deepEqual(serverPids(), servers, 'the same postgres and redis-server processes');
      console.log(`${kind}: SIGSTOP → found hung in ${foundMs} ms (bound ${HANG_MS}), new process ${next}, serving again after ${Date.now() - at} ms`);
    } catch (e) {
      await l?.stop();
      try { process.kill(pid, 'SIGCONT'); } catch { /* killed */ }
      throw new Error(`${(e as Error).message}\n${serverLogTails(s, 60)}`, { cause: e });
    }
  });
}

test('an add-on server whose process is gone when the agent is replaced is started again at the same URL, its data kept; the other is adopted', { timeout: 120_000 }, async () => {
  const agent = only('agent');
  const dir = path.join(s.dataDir, 'local-agent', 'addons');
  const records = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as { service: string; proc: { pid: number } });
  const redis = records.find((r) => r.service === 'redis')!;
  const [postgres] = serverPids().filter((p) => !fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith('redis-server'));
  // Its whole sandbox (the launcher's process group), then the agent: its record names a process that is gone.
  // The agent is stopped first (SIGSTOP): a running agent would start redis again itself (the next tests).
  const logFile = `${s.dataDir}/companions/agent.log`;
  const logFrom = fs.statSync(logFile).size;
  process.kill(agent, 'SIGSTOP');
  process.kill(-redis.proc.pid, 'SIGKILL');
  await waitFor('redis-server gone', async () => serverPids().length === 1, 10_000).finally(() => process.kill(agent, 'SIGKILL'));
  await waitFor('a new agent process that adopted the other add-on', async () => {
    const p = companions(s.dataDir)['agent']!;
    return p.length === 1 && p[0] !== agent && /adopted 1 of 1 add-on server\(s\)/.test(fs.readFileSync(logFile, 'utf8').slice(logFrom));
  }, SERVE_AGAIN_MS);
  let got = '';
  await waitFor('redis serving again at its URL, with its data', async () => /across-agents/.test(got = await redisCommand(config['REDIS_URL']!, ['GET', 'kept']).catch((e: Error) => e.message)), SERVE_AGAIN_MS)
    .catch((e: Error) => { throw new Error(`${e.message}; last: ${got}\n${serverLogTails(s, 40)}`, { cause: e }); });
  assert.equal((await api<Record<string, string>>(s, 'GET', `/apps/${A}/config-vars`)).json['REDIS_URL'], config['REDIS_URL'], 'the same URL: no new release');
  assert.equal(serverPids().length, 2);
  assert.ok(serverPids().includes(postgres!), 'Postgres adopted: the same process');
  await waitFor('web.1 and web.2 up', async () => (await upWebs()).length === 2, 60_000);
});

/** A command run inside one of the app's dynos' network namespaces (a dyno's own source address: what the firewall lets reach its add-ons). */
async function fromDyno(argv: string[]): Promise<string> {
  const dir = path.join(s.dataDir, 'local-agent', 'dynos');
  const ns = (JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.json'))!), 'utf8')) as { net: { netns: string } }).net.netns;
  const r = await inNs(ns, argv, 30_000);
  assert.equal(r.code, 0, `in the dyno's namespace ${ns}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}
/** A new connection from a dyno's namespace to the app's Postgres and Redis: the row written before, and redis's key. */
const PG_MODULE = createRequire(import.meta.url).resolve('pg');
const readFromDyno = () => fromDyno([process.execPath, '--input-type=module', '-e', `
  import pg from ${JSON.stringify(PG_MODULE)};
  import net from 'node:net';
  const [db, redis] = process.argv.slice(-2).map((u) => new URL(u));
  const c = new pg.Client({ connectionString: db.toString() });
  await c.connect();
  console.log((await c.query('SELECT v FROM survives_kill')).rows.map((r) => r.v).join(','));
  await c.end();
  const r = net.connect(Number(redis.port), redis.hostname, () => r.write('AUTH ' + (decodeURIComponent(redis.username) || 'default') + ' ' + decodeURIComponent(redis.password) + '\\r\\nGET kept\\r\\n'));
  let got = '';
  r.on('data', (d) => { got += d; if (/across-agents/.test(got)) { console.log(got.trim().split('\\r\\n').at(-1)); r.destroy(); } });
`, config['DATABASE_URL']!, config['REDIS_URL']!]);
type AddonServerJson = { id: string; name: string; attachment: { name: string }; server: { state: string; restarts: number; last_exit: string | null } | null };
const addonsOf = async (app: string) => (await api<AddonServerJson[]>(s, 'GET', `/apps/${app}/addons`)).json;
/** Another app with a Redis of its own on the same agent: what happens to this app's add-ons must not touch it. */
const B = 'outlive-agent-other';
let otherRedis = { id: '', url: '' };
const redisPid = (url: string) => fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map(Number).find((p) => {
  try { return fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith(`redis-server ${new URL(url).host}`); } catch { return false; }
});

test('SIGKILL of the app\'s postgres (its postmaster) and redis-server while the agent runs: the agent starts them again at the same URL, the data kept, a dyno\'s new connection works, the restart said and shown; another app\'s add-on untouched', { timeout: 120_000 }, async () => {
  assert.equal((await cli(s, ['apps:create', B])).code, 0);
  const made = await cli(s, ['addons:create', 'heroku-redis', '-a', B]);
  assert.equal(made.code, 0, made.stdout + made.stderr);
  otherRedis = { id: (await addonsOf(B))[0]!.id, url: (await api<Record<string, string>>(s, 'GET', `/apps/${B}/config-vars`)).json['REDIS_URL']! };
  const otherPid = redisPid(otherRedis.url);
  assert.ok(otherPid, 'the other app\'s redis-server runs');
  const db = new pg.Client({ connectionString: config['DATABASE_URL']! });
  await db.connect();
  await db.query("CREATE TABLE survives_kill (v text); INSERT INTO survives_kill VALUES ('written before the kill')");
  await db.end();
  const agent = only('agent');
  const dynos = dynoPids();
  const before = serverPids();
  const postmaster = before.find((p) => !fs.readFileSync(`/proc/${p}/cmdline`, 'latin1').startsWith('redis-server'))!;
  const redis = before.find((p) => p !== postmaster)!;
  process.kill(postmaster, 'SIGKILL');
  process.kill(redis, 'SIGKILL');
  const shown = await waitFor('both add-ons shown up again, restarted once', async () => {
    const list = await addonsOf(A);
    return list.every((a) => a.server?.state === 'up' && a.server.restarts === 1) ? list : undefined;
  }, 60_000).catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(await addonsOf(A))}\n${serverLogTails(s, 60)}`, { cause: e }); });
  for (const a of shown) assert.match(a.server!.last_exit!, /^process exited with status 137$/, `${a.name}: how its process ended`);
  const now = serverPids();
  assert.equal(now.length, 2, 'postgres and redis-server run again');
  assert.ok(!now.includes(postmaster) && !now.includes(redis), 'as new processes');
  assert.equal(only('agent'), agent, 'started again by the running agent, not a new one');
  assert.deepEqual((await api<Record<string, string>>(s, 'GET', `/apps/${A}/config-vars`)).json, config, 'the same URLs: nothing for the app to change');
  assert.equal(await readFromDyno(), 'written before the kill\nacross-agents\n', 'a new connection from a dyno reads the row and the key written before the kill');
  assert.deepEqual(accessPairs(), expectedPairs(), 'the app\'s dynos still reach them, and nothing else does');
  // The app's log says both (its lines travel apart from the state the API shows, and may come a moment later).
  const said = shown.flatMap((a) => [
    new RegExp(`heroku\\[${a.name}\\]: ${a.name}: process exited with status 137; state changed to crashed; starting it again at the same address in 1 s \\(restart 1\\)`),
    new RegExp(`heroku\\[${a.name}\\]: ${a.name}: state changed from starting to up \\(restart 1\\)`),
  ]);
  let log = '';
  await waitFor('the crash and the restart said in the app\'s log', async () => { log = await logs(); return said.every((re) => re.test(log)); }, 15_000)
    .catch(() => { for (const re of said) assert.match(log, re); });
  const listed = await cli(s, ['addons', '-a', A]);
  assert.match(listed.stdout, /up, 1 restart \(last: process exited with status 137\)/);
  assert.deepEqual(dynoPids(), dynos, 'the dynos kept running');
  assert.equal(redisPid(otherRedis.url), otherPid, 'the other app\'s redis-server is the same process');
  assert.deepEqual((await addonsOf(B))[0]!.server, { state: 'up', restarts: 0, last_exit: null, changed_at: null });
});

test('an add-on whose data folder cannot start (a corrupted Redis append-only manifest) waits longer after each failed start, says why, and keeps the other apps\' add-ons up; mended, it starts again', { timeout: 150_000 }, async () => {
  try { await corruptAndMend(); } finally {
    // Its supervision ends with it: destroyed, it is not started again (and the tests after this one find only this app's add-ons).
    const gone = await cli(s, ['addons:destroy', 'REDIS', '-a', B, '--confirm', B]);
    assert.equal(gone.code, 0, gone.stdout + gone.stderr);
    assert.equal(redisPid(otherRedis.url), undefined, 'its redis-server is gone');
  }
});

async function corruptAndMend(): Promise<void> {
  const manifest = path.join(s.dataDir, 'local-agent', 'workspaces', `app-addon-${otherRedis.id}`, 'appendonlydir', 'appendonly.aof.manifest');
  const good = fs.readFileSync(manifest);
  const servers = serverPids();
  fs.writeFileSync(manifest, 'this is not a manifest\n');
  process.kill(redisPid(otherRedis.url)!, 'SIGKILL');
  const name = (await addonsOf(B))[0]!.name;
  const blogs = async () => (await cli(s, ['logs', '-a', B, '-n', '200'])).stdout;
  // The back-off grows: 1 s after the kill, 2 s after the first failed start, 4 s after the second.
  await waitFor('two failed starts, each followed by a longer wait', async () => new RegExp(`heroku\\[${name}\\]: ${name}: starting it failed: redis-server exited with code 1: .*; state changed to crashed; starting it again at the same address in 4 s \\(restart 3\\)`).test(await blogs()), 60_000)
    .catch(async (e: Error) => { throw new Error(`${e.message}\n${await blogs()}`, { cause: e }); });
  const log = await blogs();
  assert.match(log, new RegExp(`${name}: process exited with status 137; state changed to crashed; starting it again at the same address in 1 s \\(restart 1\\)`));
  assert.match(log, new RegExp(`${name}: starting it failed: .*in 2 s \\(restart 2\\)`));
  // Between two tries it is shown crashed, with why its last start failed (a try under way shows `starting`).
  await waitFor('the add-on shown crashed, saying why', async () => {
    const server = (await addonsOf(B))[0]!.server!;
    return server.state === 'crashed' && /^starting it failed: redis-server exited with code 1: .*(manifest|AOF)/i.test(server.last_exit ?? '');
  }, 30_000);
  fs.writeFileSync(manifest, good);
  assert.deepEqual(serverPids(), servers, 'this app\'s Postgres and Redis are the same processes');
  assert.match(await redisCommand(config['REDIS_URL']!, ['GET', 'kept']), /across-agents/);
  // Its next try (after a wait that grew with each failure: how many failed depends on how long the checks above took) starts it.
  await waitFor('the mended add-on up again', async () => (await addonsOf(B))[0]!.server?.state === 'up', 60_000);
  assert.ok((await addonsOf(B))[0]!.server!.restarts >= 3);
  assert.match(await redisCommand(otherRedis.url, ['PING']), /PONG/);
}

test('a restart with another companion version replaces the router and the agent (an upgrade): the agent hands its dynos over, the new one adopts them, and the next restart of that version adopts the companions', { timeout: 240_000 }, async () => {
  const before = companions(s.dataDir);
  const dynosBefore = dynoPids();
  const servers = serverPids();
  const oneOff = await countingOneOff();
  const q = await queries('upgrade');
  await s.kill();
  s = await startServer({ ...env, SLIPWAY_TEST_COMPANION_VERSION_TAG: 'next' }, s.dataDir);
  for (const kind of ['router', 'agent']) {
    assert.match(s.output(), new RegExp(`${kind}: process ${before[kind]![0]} runs \\S+ for .*; this server is \\S+\\+next for .*: replacing it`));
    assert.notDeepEqual(companions(s.dataDir)[kind], before[kind], `a new ${kind} process`);
  }
  assert.ok(!alive(before['router']![0]!) && !alive(before['agent']![0]!), 'the old companions are gone');
  assert.match(fs.readFileSync(`${s.dataDir}/companions/agent.log`, 'utf8'), /SIGUSR2: stopping .*the dynos keep running for the next agent process/);
  await adoptedBy(before['agent']![0]!, SERVE_AGAIN_MS);
  assert.deepEqual(dynoPids(), dynosBefore, 'the same dyno processes, handed over to the upgraded agent and adopted');
  console.log(`upgrade: ${await assertQueriesSurvived(q, 'across the upgrade\'s handover', servers)}`);
  assert.match(fs.readFileSync(`${s.dataDir}/companions/agent.log`, 'utf8'), /left running for the next agent process/);
  console.log(await countedToItsEnd(oneOff, 'across the upgrade\'s handover'));
  await waitFor('the app to serve after the upgrade', served, SERVE_AGAIN_MS);
  const upgraded = companions(s.dataDir);
  await s.kill();
  s = await startServer({ ...env, SLIPWAY_TEST_COMPANION_VERSION_TAG: 'next' }, s.dataDir);
  assert.match(s.output(), /router: adopted the running process/);
  assert.match(s.output(), /agent: adopted the running process/, serverLogTails(s, 40));
  assert.deepEqual(companions(s.dataDir), upgraded, 'the upgraded companions adopted, none started beside them');
  assert.deepEqual(dynoPids(), dynosBefore, 'still the same dyno processes');
  assert.deepEqual(serverPids(), servers, 'still the same add-on servers');
  await waitFor('the app to serve', served, SERVE_AGAIN_MS);
});

test('addons:destroy of an adopted add-on ends its server and removes its namespace, record and data', { timeout: 60_000 }, async () => {
  const redisId = (await api<Array<{ id: string; attachment: { name: string } }>>(s, 'GET', `/apps/${A}/addons`)).json.find((a) => a.attachment.name === 'REDIS')!.id;
  const agentDir = path.join(s.dataDir, 'local-agent');
  const ns = (JSON.parse(fs.readFileSync(path.join(agentDir, 'addons', `${redisId}.json`), 'utf8')) as { netns: string }).netns;
  assert.ok(execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(ns), `its namespace ${ns} is there`);
  const gone = await cli(s, ['addons:destroy', 'REDIS', '-a', A, '--confirm', A]);
  assert.equal(gone.code, 0, gone.stdout + gone.stderr);
  assert.equal(serverPids().length, 1, 'only Postgres runs');
  assert.ok(!fs.existsSync(path.join(agentDir, 'addons', `${redisId}.json`)), 'its record is removed');
  assert.ok(!fs.existsSync(path.join(agentDir, 'workspaces', `app-addon-${redisId}`)), 'its data is removed');
  assert.ok(!execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(ns), 'its namespace is removed');
  addonIds = addonIds.filter((id) => id !== redisId);
  await waitFor('web.1 and web.2 up', async () => (await upWebs()).length === 2, 60_000);
});

test('a clean stop of the server while its agent is hung (SIGSTOP: it cannot stop its dynos) ends the agent and every dyno, adopted or not, and frees their filesystems, loop devices and namespaces', { timeout: 180_000 }, async () => {
  const pid = only('agent');
  assert.ok(dynoPids().length >= 2, 'the dynos run');
  assert.equal(serverPids().length, 1, 'the add-on server runs');
  process.kill(pid, 'SIGSTOP');
  const dataDir = s.dataDir;
  try {
    await s.stop();
  } finally { try { process.kill(pid, 'SIGCONT'); } catch { /* killed, as it should be */ } }
  assert.ok(!alive(pid), 'the hung agent was ended');
  assert.match(s.output(), /agent: killed past its grace with \d+ dyno\(s\), 1 add-on server\(s\) and 0 one-off\(s\) left running: ended \d+ process\(es\) and removed what they used/);
  assertNothingLeft(dataDir);
});
