// Apps in private spaces outlive the server too: the space's bridge, firewall and DNS responder and
// the app's dynos belong to the local agent process, not to the server. SIGKILL the server while a
// steady load runs through the router to a space app (web=2): no request fails while it is down and
// comes back, the same dyno processes serve (none started twice), the space's DNS answers the
// dynos' names inside the space all along, and a clean stop leaves no namespace, link or table.
// Needs root (namespaces, bridges, nftables); skipped with the reason otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, cli, api, viaRouter, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { servedWhileDown, steadyLoad } from './helpers/load.js';
import { waitFor } from './helpers/runs.js';
import { freePort } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { companions } from './helpers/companions.js';
import { agentTag, serverTag, slipwayLeftovers } from './helpers/netns.js';
import { dynoPlacement } from './helpers/dyno-placement.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';

const skip = needs('spaces');
const SPACE = 'so-vault';
const A = 'so-web';
/** How long the server stays down while the router keeps serving. */
const DOWN_MS = 5000;
let s: TestServer;
let dir: string;
let env: Record<string, string>;
let routerPort: number;
let appId = '';

/** The pids of each of the app's dynos (their processes carry the dyno's id as marker), by dyno id. */
function dynoPids(): Record<string, number[]> {
  const ids = new Set<string>();
  findMarkedProcesses((m) => { if (m.startsWith(`dyno-${appId.slice(0, 8)}-`)) ids.add(m); return false; });
  return Object.fromEntries([...ids].sort().map((id) => [id, findMarkedProcesses((m) => m === id).sort((x, y) => x - y)]));
}


const ok = (r: { status: number; body: string }) => r.status === 200 && /^space web\.[12] port=5000$/m.test(r.body);

/** Each dyno's name, resolved by the space's DNS and fetched from inside a dyno of the space (the router picks which). */
async function namesResolve(): Promise<string[]> {
  const seen: string[] = [];
  for (const n of [1, 2]) {
    const url = `http://${n}.web.${A}.app.localspace:5000/`;
    const r = await viaRouter({ routerPort }, A, `/fetch?url=${encodeURIComponent(url)}`);
    seen.push(`${n}: ${r.body.trim()}`);
  }
  return seen;
}
const resolved = ['1: ok 200 space web.1 port=5000', '2: ok 200 space web.2 port=5000'];

before(async () => {
  if (skip) return;
  routerPort = await freePort();
  env = { PORT: String(await freePort()), SLIPWAY_ROUTER_PORT: String(routerPort), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' };
  s = await startServer(env);
  dir = exampleRepo('space-app');
});
after(async () => {
  if (skip) return;
  const dataDir = s.dataDir;
  await s.stop();
  fs.rmSync(dir, { recursive: true, force: true });
  // (A failure while the server was down leaves its companions: ended here all the same, then reported.)
  const left = companions(dataDir);
  for (const pid of Object.values(left).flat()) process.kill(pid, 'SIGTERM');
  await waitFor('the companions left behind to stop', async () => Object.values(companions(dataDir)).flat().length === 0, 60_000);
  assert.deepEqual(left, { router: [], agent: [] }, 'no companion outlives a clean stop');
  for (const tag of [serverTag(dataDir), agentTag(dataDir)]) {
    assert.deepEqual(slipwayLeftovers({ tag }), { netns: [], links: [], tables: [] }, `a clean stop leaves no namespace, link or table (tag ${tag})`);
  }
});

test('SIGKILL and restart under load: a space app serves with 0 failed requests, the same dyno processes, its DNS answering all along', { skip, timeout: 300_000 }, async () => {
  const c = await cli(s, ['spaces:create', SPACE, '--cidr', '10.226.0.0/16']);
  assert.equal(c.code, 0, c.stderr);
  assert.equal((await cli(s, ['apps:create', A, '--space', SPACE])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
  assert.equal((await cli(s, ['config:set', 'LABEL=space', '-a', A])).code, 0);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: dir, timeoutMs: 240_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.match(b.stdout, /release phase at 10\.226\.\d+\.\d+/, 'the release phase ran inside the space');
  assert.equal((await cli(s, ['ps:scale', 'web=2', '-a', A])).code, 0);
  await waitFor('web.1 and web.2 up', async () => (await api<Array<{ name: string; state: string }>>(s, 'GET', `/apps/${A}/dynos`)).json.filter((d) => d.state === 'up').length === 2, 60_000);
  assert.deepEqual(dynoPlacement(s.dataDir, A), { 'web.1': 'local', 'web.2': 'local' }, 'the dynos run on the local agent process, not in the server');
  assert.deepEqual(await namesResolve(), resolved, 'each dyno\'s name resolves inside the space');
  const before = companions(s.dataDir);
  const pidsBefore = dynoPids();
  assert.equal(Object.keys(pidsBefore).length, 2, JSON.stringify(pidsBefore));
  const netBefore = slipwayLeftovers({ spacesOnly: true, tag: agentTag(s.dataDir) });

  const load = steadyLoad({ routerPort }, A, ok, { intervalMs: 20, maxMs: 120_000 });
  await new Promise((r) => setTimeout(r, 1000));
  await s.kill();
  // The server is away: the router serves its last table, the agent keeps the dynos and the space's network.
  const whileDown = await servedWhileDown({ routerPort }, A, ok, DOWN_MS);
  assert.deepEqual(await namesResolve(), resolved, 'the space\'s DNS answers while the server is down');
  s = await startServer(env, s.dataDir);
  await new Promise((r) => setTimeout(r, 3000)); // the agent and router reconnect (back-off) under load
  const { failures, served } = await load.stop();
  assert.equal(failures, 0, `${failures} of ${failures + served} requests failed across the SIGKILL and restart`);
  assert.ok(served > 100 && whileDown > 10, `served ${served} (${whileDown} while the server was down for ${DOWN_MS} ms)`);
  assert.match(s.output(), /agent: adopted the running process/);
  assert.deepEqual(companions(s.dataDir), before, 'the same router and agent processes: adopted');
  assert.deepEqual(dynoPids(), pidsBefore, 'the same dyno processes, none started again');
  assert.deepEqual(slipwayLeftovers({ spacesOnly: true, tag: agentTag(s.dataDir) }), netBefore, 'the same bridge, namespaces and table: adopted, not rebuilt');
  assert.deepEqual(await namesResolve(), resolved, 'and it resolves after the restart');
  await new Promise((r) => setTimeout(r, 2500)); // a few reconcile passes: nothing more starts
  assert.deepEqual(dynoPids(), pidsBefore);
});

test('SIGKILL the local agent under load: the new one adopts the space app\'s dynos (the same processes, their namespaces and names), 0 failed requests', { skip, timeout: 180_000 }, async () => {
  const agent = companions(s.dataDir)['agent']!;
  assert.equal(agent.length, 1, JSON.stringify(companions(s.dataDir)));
  const pidsBefore = dynoPids();
  const netBefore = slipwayLeftovers({ spacesOnly: true, tag: agentTag(s.dataDir) });
  const load = steadyLoad({ routerPort }, A, ok, { intervalMs: 20, maxMs: 120_000 });
  await new Promise((r) => setTimeout(r, 500));
  process.kill(agent[0]!, 'SIGKILL');
  const adopted = () => { const log = fs.readFileSync(`${s.dataDir}/companions/agent.log`, 'utf8'); return /adopted 2 of 2 dyno\(s\)/.test(log.slice(log.lastIndexOf('registered with'))); };
  await waitFor('a new agent process that adopted the dynos', async () => companions(s.dataDir)['agent']!.length === 1 && companions(s.dataDir)['agent']![0] !== agent[0] && adopted(), 30_000);
  await new Promise((r) => setTimeout(r, 1500));
  const { failures, served } = await load.stop();
  assert.equal(failures, 0, `${failures} of ${failures + served} requests failed across the agent's SIGKILL`);
  assert.deepEqual(dynoPids(), pidsBefore, 'the same dyno processes, adopted');
  assert.deepEqual(slipwayLeftovers({ spacesOnly: true, tag: agentTag(s.dataDir) }), netBefore, 'the same bridge, namespaces and table');
  assert.deepEqual(await namesResolve(), resolved, 'each dyno\'s name resolves inside the space after the adoption');
});
