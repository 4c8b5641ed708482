// An agent on a simulated host rides out what a fleet sees: a run cancelled while its node runs on
// the agent stops there; the server SIGKILLed and restarted while a node runs: the node goes on, its
// output written meanwhile waits on the agent and arrives, and the run succeeds.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { latestRun, nodesOf, waitFor, waitForStatus } from '../helpers/runs.js';
import { simulatedHosts, startAgent, type AgentProcess } from '../helpers/agent-hosts.js';
import { needs } from '../helpers/tools.js';

const skip = needs('spaces');
let s: TestServer;
let net: ReturnType<typeof simulatedHosts>;
let agent: AgentProcess;

before(async () => {
  if (skip) return;
  net = simulatedHosts(1, 3);
  // A lease longer than the server's restart takes: the agent's job is still its own when the server is
  // back. Its renewals (every 100 s) cannot be what brings a cancel: the cancel watch must.
  s = await startServer({ SLIPWAY_HOST: '0.0.0.0', SLIPWAY_EMBEDDED_RUNNER: 'off', SLIPWAY_JOB_LEASE_SECONDS: '300' });
  const token = /(slpa_[\w-]+)/.exec((await cli(s, ['agents:create', 'steady'])).stdout)![1]!;
  agent = startAgent(net.hosts[0]!, `http://${net.serverIp}:${new URL(s.url).port}`, token, { slots: 2 });
  await waitFor('the agent online', async () => (await api<Array<{ name: string; state: string }>>(s, 'GET', '/agents')).json.some((a) => a.name === 'steady' && a.state === 'online'), 60_000);
  assert.equal((await cli(s, ['pipelines:create', 'steady'])).code, 0);
});

after(async () => {
  await agent?.stop();
  if (agent) fs.rmSync(agent.dataDir, { recursive: true, force: true });
  await s?.stop();
  net?.close();
});

/** Start a run of `script` and wait until its node runs its tests on the agent. */
async function runningNode(script: string) {
  const before = (await latestRun(s, 'steady'))?.number ?? 0;
  const dir = repoWithBuildpack({ environments: { test: { scripts: { test: script } } } }, 'echo compiled');
  const started = await cli(s, ['ci:run', '-p', 'steady', '--detach'], { cwd: dir });
  assert.equal(started.code, 0, started.stderr);
  const run = await waitFor('the new run', async () => { const r = await latestRun(s, 'steady'); return r && r.number > before ? r : undefined; });
  const node = await waitFor('its node running', async () => (await nodesOf(s, run.id)).find((n) => n.status === 'running'), 120_000);
  return { run, node };
}

test('a run cancelled while its node runs on an agent: the node stops there and ends cancelled', { skip, timeout: 180_000 }, async () => {
  const { run } = await runningNode('echo started; sleep 120; echo never');
  const cancelled = await cli(s, ['ci:cancel', String(run.number), '-p', 'steady']);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  const t = Date.now();
  const done = await waitForStatus(s, run.id, ['cancelled', 'errored', 'failed', 'succeeded'], 60_000);
  assert.equal(done.status, 'cancelled');
  assert.equal((await nodesOf(s, run.id))[0]!.status, 'cancelled');
  assert.ok(Date.now() - t < 30_000, `stopped ${Date.now() - t} ms after the cancel (the cancel watch), not at the next lease renewal nor after the 120 s sleep`);
  await waitFor('the agent free again', async () => (await api<Array<{ name: string; running_jobs: number }>>(s, 'GET', '/agents')).json.find((a) => a.name === 'steady')?.running_jobs === 0, 30_000);
});

test('the server SIGKILLed and restarted while a node runs on an agent: the node goes on and its output arrives', { skip, timeout: 240_000 }, async () => {
  const { run, node } = await runningNode('echo before-the-outage; sleep 6; echo during-the-outage; sleep 6; echo 1..1; echo "ok 1 - survived"');
  await s.kill();
  await new Promise((r) => setTimeout(r, 8000)); // the node prints while the server is down
  s = await startServer({ ...s.env }, s.dataDir);
  const done = await waitForStatus(s, run.id, ['succeeded', 'failed', 'errored', 'cancelled'], 120_000);
  assert.equal(done.status, 'succeeded', `${JSON.stringify(done)}\n${agent.output()}`);
  const out = await (await fetch((await nodesOf(s, run.id)).find((n) => n.id === node.id)!.output_stream_url)).text();
  assert.match(out, /before-the-outage[\s\S]*during-the-outage[\s\S]*ok 1 - survived/);
  // Whichever call met the outage first says so: a heartbeat (every lease/3, so one may fall outside
  // the outage) or the node's event pipe.
  assert.match(agent.output(), /the server is away|retrying until the server answers/);
});
