// bench/ci-parallel: the 8-test suite of examples/parallel-suite with 1 node and with 4 nodes in the
// same run, alternating: wall time of `slipway ci:run` each, the CPU each run cost (the server and
// the host tools it ran, from /proc, and the sandboxed commands' cgroups), each node's CPU besides its tests (its step log), the
// speed-up against the aim; and add-on provisioning times (ephemeral Postgres, Redis).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, TOKEN } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { median } from './proc-stats.js';
import { cpuWithChildren, describeTimelines, load, nodeSteps, runTimeline, stepTable } from './ci-steps.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const AIM = 3.6;
const withQuantity = (q: number) => (d: string) => fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: { formation: { test: { quantity: q } }, scripts: { test: 'node --test-reporter=tap split-tests.js' } } } }));

const loadBefore = load();
const server = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '4' });
try {
  await cli(server, ['pipelines:create', 'bench']);
  const timed = async (dir: string) => {
    const cpu = cpuWithChildren(server.proc.pid!);
    const before = nodeSteps(server.output()).length;
    const t = process.hrtime.bigint();
    const start = Date.now();
    const r = await cli(server, ['ci:run', '-p', 'bench'], { cwd: dir, timeoutMs: 300_000 });
    const s = Number(process.hrtime.bigint() - t) / 1e9;
    const timeline = await runTimeline(server, TOKEN, 'bench', start, Date.now());
    if (r.code !== 0) throw new Error(`ci:run failed: ${r.stdout}${r.stderr}`);
    if (!/8 passed/.test(r.stdout)) throw new Error(`expected 8 passed: ${r.stdout}`);
    // Every node's clean-up (after the run's end) is in its CPU: wait for the nodes' step lines.
    const want = before + (dir === four ? 4 : 1);
    for (let i = 0; i < 200 && nodeSteps(server.output()).length < want; i++) await new Promise((res) => setTimeout(res, 50));
    // The sandboxed commands' CPU is in their cgroups, not in the server's account of its children.
    const sandboxCpu = nodeSteps(server.output()).slice(before).flatMap((n) => n.steps).reduce((t, x) => t + x.sandboxCpuMs, 0) / 1000;
    return { s, timeline, cpu: cpuWithChildren(server.proc.pid!) - cpu + sandboxCpu };
  };
  const one = exampleRepo('parallel-suite', withQuantity(1));
  const four = exampleRepo('parallel-suite', withQuantity(4));
  await timed(one); // warm the cache
  const skip = nodeSteps(server.output()).length;
  const a: Awaited<ReturnType<typeof timed>>[] = [];
  const b: Awaited<ReturnType<typeof timed>>[] = [];
  for (let i = 0; i < RUNS; i++) { a.push(await timed(one)); b.push(await timed(four)); }
  const nodes = nodeSteps(server.output()).slice(skip);
  const ma = median(a.map((x) => x.s));
  const mb = median(b.map((x) => x.s));
  console.log(`ci-parallel: 8 tests × ~1 s, ${RUNS} runs each, alternating, runner slots 4, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, load ${loadBefore} → ${load()}`);
  console.log(`  1 node    median ${ma.toFixed(2)} s   CPU of the run ${median(a.map((x) => x.cpu)).toFixed(2)} s   runs ${a.map((x) => x.s.toFixed(2)).join(' ')}`);
  console.log(`  4 nodes   median ${mb.toFixed(2)} s   CPU of the run ${median(b.map((x) => x.cpu)).toFixed(2)} s   runs ${b.map((x) => x.s.toFixed(2)).join(' ')}`);
  console.log(`  speed-up  ${(ma / mb).toFixed(2)}×   (aim ≥ ${AIM}×: ${ma / mb >= AIM ? 'met' : 'NOT met'})`);
  console.log(`  1-node run's timeline from the CLI's start (medians): ${describeTimelines(a.map((x) => x.timeline))}`);
  console.log(`  4-node run's timeline from the CLI's start (medians): ${describeTimelines(b.map((x) => x.timeline))}`);
  for (const [label, ns] of [['1-node run, its node', nodes.filter((n) => n.total === 1)], ['4-node run, a node', nodes.filter((n) => n.total === 4)]] as const) {
    const perNode = ns.map((n) => n.steps.filter((s) => s.step !== 'tests').reduce((t, s) => t + s.sandboxCpuMs + s.runnerCpuMs, 0));
    console.log(`  ${label}: CPU besides its tests, median ${median(perNode)} ms (${ns.length} nodes); steps (median wall / CPU ms):`);
    console.log('    ' + stepTable(ns).map((s) => `${s.step} ${s.wallMs}/${s.cpuMs}`).join(', '));
  }

  const addons = exampleRepo('addons-sql');
  const times: Record<string, number[]> = {};
  for (let i = 0; i < RUNS + 1; i++) {
    const r = await cli(server, ['ci:run', '-p', 'bench'], { cwd: addons, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`add-on run failed: ${r.stdout}${r.stderr}`);
    for (const m of r.stdout.matchAll(/Provisioned (\S+) as \S+ \(([\w-]+), (\d+) ms\)/g)) (times[`${m[2]}${i === 0 ? ' (first run: Postgres makes its template)' : ''}`] ??= []).push(Number(m[3]));
  }
  for (const [k, v] of Object.entries(times)) console.log(`  add-on ${k.padEnd(40)} median ${median(v)} ms   runs ${v.join(' ')}`);
} finally {
  await server.stop();
}
