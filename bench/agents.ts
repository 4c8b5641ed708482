// bench/agents: CI wall time of the 4-node suite of examples/parallel-suite (8 tests × ~1 s) run by
// agents on simulated hosts (network namespaces on one bridge), one agent vs two, 2 slots each; the
// server's embedded runner is off, so only agents execute.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, api } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { simulatedHosts, startAgent, type AgentProcess } from '../test/helpers/agent-hosts.js';
import { waitFor } from '../test/helpers/runs.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SLOTS = 2;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const withQuantity = (q: number) => (d: string) => fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: { formation: { test: { quantity: q } }, scripts: { test: 'node --test-reporter=tap split-tests.js' } } } }));

const net = simulatedHosts(2, 2);
const server = await startServer({ SLIPWAY_HOST: '0.0.0.0', SLIPWAY_EMBEDDED_RUNNER: 'off' });
const agents: AgentProcess[] = [];
try {
  const url = `http://${net.serverIp}:${new URL(server.url).port}`;
  const online = (n: number) => waitFor(`${n} agent(s) online`, async () => (await api<Array<{ state: string; embedded: boolean }>>(server, 'GET', '/agents')).json.filter((a) => !a.embedded && a.state === 'online').length === n, 60_000);
  const addAgent = async (i: number) => {
    const token = /(slpa_[\w-]+)/.exec((await cli(server, ['agents:create', `bench-${i}`])).stdout)![1]!;
    agents.push(startAgent(net.hosts[i - 1]!, url, token, { slots: SLOTS }));
    await online(i);
  };
  await cli(server, ['pipelines:create', 'bench']);
  const four = exampleRepo('parallel-suite', withQuantity(4));
  const timed = async () => {
    const t = process.hrtime.bigint();
    const r = await cli(server, ['ci:run', '-p', 'bench'], { cwd: four, timeoutMs: 300_000 });
    if (r.code !== 0 || !/8 passed/.test(r.stdout)) throw new Error(`ci:run failed: ${r.stdout}${r.stderr}`);
    return Number(process.hrtime.bigint() - t) / 1e9;
  };
  await addAgent(1);
  await timed(); // warm the agent's setup cache
  const one: number[] = [];
  for (let i = 0; i < RUNS; i++) one.push(await timed());
  await addAgent(2);
  await timed(); // warm the second agent's cache (caches stay on the agent that made them)
  const two: number[] = [];
  for (let i = 0; i < RUNS; i++) two.push(await timed());
  console.log(`agents: 4-node suite (8 tests × ~1 s), ${RUNS} runs each, ${SLOTS} slots per agent, all on one machine: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`);
  console.log(`  1 agent    median ${median(one).toFixed(2)} s   runs ${one.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  2 agents   median ${median(two).toFixed(2)} s   runs ${two.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  speed-up   ${(median(one) / median(two)).toFixed(2)}×`);
} finally {
  for (const a of agents) { await a.stop(); fs.rmSync(a.dataDir, { recursive: true, force: true }); }
  await server.stop();
  net.close();
}
