// bench/agent-dynos: dynos on agents. (1) Failover: an app's only web dyno runs on an agent on a
// simulated host; the agent is SIGKILLed; how long until the router serves the app again from the
// other agent (SLIPWAY_AGENT_LOST_SECONDS 5), repeated. (2) The router's throughput (wrk through
// the server's router) with the dyno on another agent against the dyno on the server's own host.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { startServer, cli, api, viaRouter, type TestServer } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { simulatedHosts, startAgent, type AgentProcess } from '../test/helpers/agent-hosts.js';
import { waitFor } from '../test/helpers/runs.js';
import { openStore } from '../src/store/db.js';

if (spawnSync('which', ['wrk']).status !== 0) { console.error('bench/agent-dynos needs wrk: apt-get install -y wrk'); process.exit(2); }
const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const LOST_S = 5;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

function wrk(s: TestServer, app: string): { rps: number; p50: string; p99: string; errors: string } {
  const r = spawnSync('wrk', ['-t1', '-c32', `-d${SECONDS}s`, '--latency', '-H', `Host: ${app}.localhost`, `http://127.0.0.1:${s.routerPort}/`], { encoding: 'utf8' });
  const at = (label: string) => new RegExp(`${label}\\s+([\\d.]+\\w+)`).exec(r.stdout)?.[1] ?? '?';
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? '0';
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]), p50: at(' 50%'), p99: at(' 99%'), errors };
}

async function deploy(s: TestServer, app: string): Promise<void> {
  await cli(s, ['apps:create', app]);
  const b = await cli(s, ['builds:create', '-a', app], { cwd: exampleRepo('web-app'), timeoutMs: 300_000 });
  if (b.code !== 0) throw new Error(b.stdout + b.stderr);
  await waitFor(`${app} answering`, async () => (await viaRouter(s, app).catch(() => ({ status: 0 }))).status === 200, 120_000);
}

// (1) and the remote half of (2): agents only.
const net = simulatedHosts(2, 6);
const remote = await startServer({ SLIPWAY_HOST: '0.0.0.0', SLIPWAY_EMBEDDED_RUNNER: 'off', SLIPWAY_AGENT_LOST_SECONDS: String(LOST_S) });
const agents: AgentProcess[] = [];
const failovers: number[] = [];
let viaAgent: ReturnType<typeof wrk>;
try {
  const url = `http://${net.serverIp}:${new URL(remote.url).port}`;
  const tokens: string[] = [];
  for (const [i, h] of net.hosts.entries()) {
    tokens.push(/(slpa_[\w-]+)/.exec((await cli(remote, ['agents:create', `dynos-${i + 1}`])).stdout)![1]!);
    agents.push(startAgent(h, url, tokens[i]!, { slots: 1 }));
  }
  await waitFor('both agents online', async () => (await api<Array<{ state: string }>>(remote, 'GET', '/agents')).json.filter((a) => a.state === 'online').length === 2, 60_000);
  await deploy(remote, 'far');
  viaAgent = wrk(remote, 'far');
  for (let run = 0; run < RUNS; run++) {
    const victimIndex = await whichAgent(remote);
    const victim = agents[victimIndex]!;
    const t = Date.now();
    await victim.kill();
    await waitFor('far served again', async () => (await viaRouter(remote, 'far').catch(() => ({ status: 0 }))).status === 200, 120_000);
    failovers.push((Date.now() - t) / 1000);
    agents[victimIndex] = startAgent(victim.host, url, tokens[victimIndex]!, { slots: 1, dataDir: victim.dataDir });
    await waitFor('both agents online again', async () => (await api<Array<{ state: string }>>(remote, 'GET', '/agents')).json.filter((a) => a.state === 'online').length === 2, 60_000);
  }
} finally {
  for (const a of agents) { await a.stop(); fs.rmSync(a.dataDir, { recursive: true, force: true }); }
  await remote.stop();
  net.close();
}

/** The index of the agent web.1 of `far` is placed on (read from the server's store). */
async function whichAgent(s: TestServer): Promise<number> {
  const store = await openStore({ dataDir: s.dataDir });
  try {
    const row = await store.db.selectFrom('desired_dynos as d').innerJoin('agents as g', 'g.id', 'd.agent_id').innerJoin('apps as a', 'a.id', 'd.app_id')
      .select('g.name').where('a.name', '=', 'far').where('d.name', '=', 'web.1').executeTakeFirst();
    if (!row) throw new Error('web.1 of far is not placed');
    return Number(row.name.split('-')[1]) - 1;
  } finally { await store.close(); }
}

// The same-host half of (2): the server's own agent runs the dyno.
const local = await startServer({});
let sameHost: ReturnType<typeof wrk>;
try {
  await deploy(local, 'near');
  sameHost = wrk(local, 'near');
} finally {
  await local.stop();
}

console.log(`agent dynos: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()} (agents on simulated hosts: network namespaces on one bridge, same machine)`);
console.log(`  failover after SIGKILL of the dyno's agent (lost after ${LOST_S} s): median ${median(failovers).toFixed(1)} s   runs ${failovers.map((x) => x.toFixed(1)).join(' ')}`);
console.log(`  router → dyno on another agent   ${viaAgent!.rps.toFixed(0)} req/s   p50 ${viaAgent!.p50}   p99 ${viaAgent!.p99}   non-2xx ${viaAgent!.errors}`);
console.log(`  router → dyno on the same host   ${sameHost!.rps.toFixed(0)} req/s   p50 ${sameHost!.p50}   p99 ${sameHost!.p99}   non-2xx ${sameHost!.errors}`);
