// Two agents on two simulated hosts (network namespaces on one bridge), the server on the host with
// its embedded runner off: a 4-node CI run spreads over both; an agent SIGKILLed while its node runs
// → that node ends errored "runner lost" within the bound, the run settles, the other agent goes on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { startServer, cli, api, BIN, TOKEN, type TestServer } from '../helpers/server.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { latestRun, nodesOf, casesOf, waitFor, waitForStatus, type RunJson } from '../helpers/runs.js';
import { simulatedHosts, startAgent, type AgentProcess } from '../helpers/agent-hosts.js';
import { needs } from '../helpers/tools.js';

const skip = needs('spaces');
const LEASE_S = 5; // short, so "runner lost" comes soon; 3 s was missed by a starved agent at load 17
/** A killed agent's node ends within its lease, plus the server's recovery interval (lease/2) and a margin for the CPU. */
const LOST_BOUND_MS = (LEASE_S * 1.5 + 5) * 1000;
let s: TestServer;
let net: ReturnType<typeof simulatedHosts>;
const agents: AgentProcess[] = [];
const agentTokens = new Map<string, string>();

before(async () => {
  if (skip) return;
  net = simulatedHosts(2, 1);
  s = await startServer({ SLIPWAY_HOST: '0.0.0.0', SLIPWAY_EMBEDDED_RUNNER: 'off', SLIPWAY_JOB_LEASE_SECONDS: String(LEASE_S) });
  const url = `http://${net.serverIp}:${new URL(s.url).port}`;
  for (const [i, h] of net.hosts.entries()) {
    const created = await cli(s, ['agents:create', `host-${i + 1}`]);
    assert.equal(created.code, 0, created.stderr);
    agentTokens.set(`host-${i + 1}`, /(slpa_[\w-]+)/.exec(created.stdout)![1]!);
    agents.push(startAgent(h, url, agentTokens.get(`host-${i + 1}`)!, { slots: 1 }));
  }
  await waitFor('both agents online', async () => {
    const list = (await api<Array<{ name: string; state: string }>>(s, 'GET', '/agents')).json;
    return list.filter((a) => a.name.startsWith('host-') && a.state === 'online').length === 2;
  }, 60_000).catch((e: Error) => { throw new Error(`${e.message}\n${agents.map((a) => a.output()).join('\n---\n')}`); });
  assert.equal((await cli(s, ['pipelines:create', 'fleet'])).code, 0);
  // Each simulated host isolates its sandboxes on a default network of its own, as a server does.
  for (const a of agents) assert.match(a.output(), /Sandboxes run in network namespaces of their own/, a.output());
});

after(async () => {
  for (const a of agents) { await a.stop(); fs.rmSync(a.dataDir, { recursive: true, force: true }); }
  await s?.stop();
  net?.close();
});

/** `slipway ci:run` in `dir`, not awaited (it follows the run until it ends). */
const ciRun = (dir: string) => new Promise<number | null>((resolve) => {
  const p = spawn(process.execPath, [BIN, 'ci:run', '-p', 'fleet'], { cwd: dir, stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_URL: s.url, SLIPWAY_TOKEN: TOKEN, SLIPWAY_CONFIG_DIR: dir + '/.no-login' } });
  p.once('exit', (code) => resolve(code));
});
const setupOutput = async (url: string) => (await fetch(url)).text();

test('a 4-node CI run spreads over both agents and succeeds with every case', { skip, timeout: 240_000 }, async () => {
  const dir = repoWithBuildpack({ environments: { test: { formation: { test: { quantity: 4 } }, scripts: { test: 'sleep 1; echo 1..1; echo "ok 1 - node $CI_NODE_INDEX"' } } } }, 'echo compiled');
  const code = await ciRun(dir);
  const run = await latestRun(s, 'fleet');
  assert.equal(run.status, 'succeeded', `${JSON.stringify(run)}\n${agents.map((a) => a.output()).join('\n---\n')}`);
  assert.equal(code, 0);
  const nodes = await nodesOf(s, run.id);
  assert.equal(nodes.length, 4);
  const where = await Promise.all(nodes.map(async (n) => /Running on agent (host-\d) on \S+ \((10\.231\.1\.\d+)\)/.exec(await setupOutput(n.setup_stream_url))?.slice(1, 3).join(' ')));
  assert.ok(where.every(Boolean), `every node names its agent: ${where.join(', ')}`);
  assert.deepEqual([...new Set(where)].sort(), ['host-1 10.231.1.2', 'host-2 10.231.1.3'], 'both agents ran nodes');
  const cases = await casesOf(s, run.id);
  assert.deepEqual(cases.map((c) => `${c.test_node.index} ${c.status}`).sort(), ['0 passed', '1 passed', '2 passed', '3 passed']);
});

test('an agent SIGKILLed while its node runs: the node ends "runner lost" within the bound, the other agent finishes its own', { skip, timeout: 240_000 }, async () => {
  const dir = repoWithBuildpack({ environments: { test: { formation: { test: { quantity: 2 } }, scripts: { test: 'echo started; sleep 8; echo 1..1; echo "ok 1 - node $CI_NODE_INDEX"' } } } }, 'echo compiled');
  const finished = ciRun(dir);
  const run = await waitFor('a new run', async () => { const r = await latestRun(s, 'fleet'); return r.node_total === 2 ? r : undefined; });
  // Both nodes running, one on each agent (one slot each).
  const placed = await waitFor('both nodes running their tests', async () => {
    const nodes = await nodesOf(s, run.id);
    if (nodes.some((n) => n.status !== 'running')) return undefined;
    const outs = await Promise.all(nodes.map((n) => setupOutput(n.setup_stream_url)));
    return nodes.map((n, i) => ({ node: n, agent: /Running on agent (host-\d)/.exec(outs[i]!)?.[1] }));
  }, 120_000);
  const victim = placed[0]!;
  const agent = agents.find((a) => victim.agent === `host-${agents.indexOf(a) + 1}`)!;
  assert.ok(agent, `node 0 names its agent: ${JSON.stringify(placed)}`);
  const killedAt = Date.now();
  await agent.kill();
  const lost = await waitFor('the killed agent\'s node to end', async () => {
    const n = (await nodesOf(s, run.id)).find((x) => x.id === victim.node.id)!;
    return n.status !== 'running' ? n : undefined;
  }, 60_000);
  const tookMs = Date.now() - killedAt;
  assert.equal(lost.status, 'errored');
  assert.match(lost.message ?? '', /runner executing this node was lost/);
  assert.ok(tookMs <= LOST_BOUND_MS, `ended ${tookMs} ms after the kill (bound ${LOST_BOUND_MS} ms)`);
  console.log(`# runner lost ${tookMs} ms after SIGKILL (lease ${LEASE_S} s, bound ${LOST_BOUND_MS} ms)`);

  const settled: RunJson = await waitForStatus(s, run.id, ['errored', 'failed', 'succeeded'], 60_000);
  assert.equal(settled.status, 'errored');
  const other = (await nodesOf(s, run.id)).find((x) => x.id !== victim.node.id)!;
  assert.equal(other.status, 'succeeded', 'the other agent finished its node');
  assert.notEqual(await finished, 0);
  const list = (await api<Array<{ name: string; state: string; running_jobs: number }>>(s, 'GET', '/agents')).json;
  assert.equal(list.find((a) => a.name === victim.agent)?.running_jobs, 0);

  // The killed agent comes back on its data folder: it sweeps what the kill left and works again.
  const i = agents.indexOf(agent);
  agents[i] = startAgent(agent.host, `http://${net.serverIp}:${new URL(s.url).port}`, agentTokens.get(victim.agent!)!, { slots: 1, dataDir: agent.dataDir });
  await waitFor('the restarted agent to register', async () => agents[i]!.output().includes('registered with'), 60_000);
});
