// bench/spaces: what a private space costs. Router throughput (wrk, keep-alive) to a web dyno in a
// space against one in the common runtime, and dyno start time in and out of a space (restart of a
// web dyno until it accepts connections; a one-off dyno from start to exit), in one run, with ratios.
// Needs root (namespaces, bridges, nftables). Load stays on loopback and the bench's own namespaces.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { startServer, cli, api } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { netAdminProblem, slipwayLeftovers } from '../test/helpers/netns.js';

const problem = netAdminProblem();
if (problem) { console.log(`bench/spaces skipped: it ${problem}`); process.exit(0); }
if (spawnSync('which', ['wrk']).status !== 0) { console.error('bench/spaces needs wrk: apt-get install -y wrk'); process.exit(2); }
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);

function wrk(url: string, host: string): { rps: number; p50: string; errors: number } {
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-H', `Host: ${host}`, url], { encoding: 'utf8' });
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? 0);
  const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]), p50: /50%\s+(\S+)/.exec(r.stdout)?.[1] ?? '?', errors: non2xx + (sock ? sock.slice(1).reduce((a, x) => a + Number(x), 0) : 0) };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const server = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '2' });
try {
  const ok = async (args: string[], cwd?: string) => { const r = await cli(server, args, { cwd, timeoutMs: 300_000 }); if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stdout}${r.stderr}`); return r; };
  await ok(['spaces:create', 'bench-space', '--cidr', '10.215.0.0/16']);
  const dir = exampleRepo('space-app');
  await ok(['apps:create', 'bench-in', '--space', 'bench-space']);
  await ok(['apps:create', 'bench-out']);
  for (const app of ['bench-in', 'bench-out']) await ok(['builds:create', '-a', app], dir);

  /** Web dyno restart: the new one starts (namespace, veth, slug, boot until $PORT answers), the old one stops. */
  const restart = async (app: string) => { const t = Date.now(); const r = await api(server, 'DELETE', `/apps/${app}/dynos`); if (r.status !== 202) throw new Error(`restart ${app}: ${r.status}`); return Date.now() - t; };
  /** One-off dyno: from POST to its exit. */
  const oneOff = async (app: string) => {
    const t = Date.now();
    const d = await api<{ id: string }>(server, 'POST', `/apps/${app}/dynos`, { command: 'true' });
    for (;;) {
      const s = await api<{ state: string; exit_code: number | null }>(server, 'GET', `/apps/${app}/dynos/${d.json.id}`);
      if (s.json.state === 'down') { if (s.json.exit_code !== 0) throw new Error(`one-off on ${app} exited ${s.json.exit_code}`); return Date.now() - t; }
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const times: Record<string, { restart: number[]; oneOff: number[] }> = { 'bench-in': { restart: [], oneOff: [] }, 'bench-out': { restart: [], oneOff: [] } };
  for (let i = 0; i < ROUNDS; i++) {
    for (const app of ['bench-in', 'bench-out']) {
      times[app]!.restart.push(await restart(app));
      times[app]!.oneOff.push(await oneOff(app));
    }
  }

  const url = `http://127.0.0.1:${server.routerPort}/`;
  wrk(url, 'bench-in.localhost'); // warm up both
  wrk(url, 'bench-out.localhost');
  // Alternating rounds, median of each: the machine is shared, so a single pair would mostly measure its neighbours.
  const runs: Record<'in' | 'out', Array<ReturnType<typeof wrk>>> = { in: [], out: [] };
  for (let i = 0; i < 3; i++) { runs.in.push(wrk(url, 'bench-in.localhost')); runs.out.push(wrk(url, 'bench-out.localhost')); }
  const mid = (rs: Array<ReturnType<typeof wrk>>) => [...rs].sort((x, y) => x.rps - y.rps)[1]!;
  const inSpace = mid(runs.in);
  const common = mid(runs.out);

  console.log(`spaces: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}; wrk 1 thread, ${CONNECTIONS} keep-alive connections, ${SECONDS} s, median of 3 alternating rounds; ${ROUNDS} rounds of starts (median)`);
  const row = (name: string, r: ReturnType<typeof wrk>) => console.log(`  router → ${name.padEnd(15)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50}   errors ${r.errors}`);
  row('space dyno', inSpace);
  row('common dyno', common);
  const m = (app: string, k: 'restart' | 'oneOff') => median(times[app]![k]);
  console.log(`  web dyno restart     space ${m('bench-in', 'restart')} ms   common ${m('bench-out', 'restart')} ms`);
  console.log(`  one-off start→exit   space ${m('bench-in', 'oneOff')} ms   common ${m('bench-out', 'oneOff')} ms`);
  console.log(`  ratios (space / common): throughput ${(inSpace.rps / common.rps).toFixed(2)}×   restart ${(m('bench-in', 'restart') / m('bench-out', 'restart')).toFixed(2)}×   one-off ${(m('bench-in', 'oneOff') / m('bench-out', 'oneOff')).toFixed(2)}×`);

  for (const app of ['bench-in', 'bench-out']) await ok(['apps:destroy', '-a', app, '--confirm', app]);
  await ok(['spaces:destroy', 'bench-space', '--confirm', 'bench-space']);
} finally {
  await server.stop();
}
const left = slipwayLeftovers();
if (left.netns.length || left.links.length || left.tables.length) { console.error(`left behind: ${JSON.stringify(left)}`); process.exitCode = 1; }
