// bench/ci-overhead: end-to-end `slipway ci:run` of an example app against running the same test
// command directly in a checkout, alternating in the same run: medians of warm-cache runs, wall and
// CPU (the CLI's and the server's with every process it started), the overhead against the aim, and
// where a node's fixed cost goes, step by step (the server's own step log).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, BIN, TOKEN } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { tempDir } from '../test/helpers/temp.js';
import { median } from './proc-stats.js';
import { cpuWithChildren, describeTimelines, load, nodeSteps, runTimeline, stepTable, timedCommand } from './ci-steps.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const AIM_S = 0.12;
const app = process.env['BENCH_APP'] ?? 'node-passing';
const f2 = (x: number) => x.toFixed(2);
const loadBefore = load();
const server = await startServer();
try {
  await cli(server, ['pipelines:create', 'bench']);
  const dir = exampleRepo(app);
  const hostEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root' };
  const direct = async () => {
    const r = await timedCommand(['npm', 'test', '--silent'], { cwd: dir, env: { ...hostEnv, CI: 'true' } });
    if (r.code !== 0) throw new Error('the test command failed when run directly');
    return r;
  };
  const viaSlipway = async () => {
    const before = cpuWithChildren(server.proc.pid!);
    const lines = () => nodeSteps(server.output()).length;
    const want = lines() + 1;
    const start = Date.now();
    const r = await timedCommand([process.execPath, BIN, 'ci:run', '-p', 'bench'], { cwd: dir, env: { ...hostEnv, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN, SLIPWAY_CONFIG_DIR: path.join(os.tmpdir(), 'slipway-cli-none') } });
    const done = Date.now();
    if (r.code !== 0) throw new Error(`ci:run failed: ${r.stdout}`);
    const timeline = await runTimeline(server, TOKEN, 'bench', start, done);
    // The node's clean-up ends after the run has: wait for its step line before reading the server's CPU.
    for (let i = 0; i < 100 && lines() < want; i++) await new Promise((res) => setTimeout(res, 50));
    // The sandboxed commands' CPU is in their cgroups, not in the server's account of its children.
    const sandboxCpu = (nodeSteps(server.output()).at(-1)?.steps ?? []).reduce((t, x) => t + x.sandboxCpuMs, 0) / 1000;
    return { ...r, timeline, serverCpu: cpuWithChildren(server.proc.pid!) - before + sandboxCpu };
  };
  await viaSlipway(); // warm the setup cache
  await direct();
  const a: Awaited<ReturnType<typeof direct>>[] = [];
  const b: Awaited<ReturnType<typeof viaSlipway>>[] = [];
  for (let i = 0; i < RUNS; i++) { a.push(await direct()); b.push(await viaSlipway()); }
  const nodes = nodeSteps(server.output()).slice(-RUNS);

  // Inside bin/test-compile, measured apart in a copy of the app: what `npm install` (Heroku's
  // Node.js buildpack runs it every build) and a bare Node.js start cost here.
  const scratch = tempDir('bench-npm-install-');
  fs.cpSync(dir, scratch, { recursive: true });
  const npmEnv = { ...hostEnv, npm_config_update_notifier: 'false', npm_config_cache: path.join(scratch, '.npm-cache') };
  const installs: Awaited<ReturnType<typeof timedCommand>>[] = [];
  const nodeStarts: Awaited<ReturnType<typeof timedCommand>>[] = [];
  for (let i = 0; i < 4; i++) {
    installs.push(await timedCommand(['npm', 'install', '--no-audit', '--no-fund', '--prefer-offline', '--include=dev'], { cwd: scratch, env: npmEnv }));
    nodeStarts.push(await timedCommand([process.execPath, '-e', '0'], { cwd: scratch, env: hostEnv }));
  }
  installs.shift(); // the first one writes package-lock.json

  const sandbox = (await (await fetch(server.url + '/health')).json() as { sandbox: string }).sandbox;
  const [da, db] = [median(a.map((x) => x.wall)), median(b.map((x) => x.wall))];
  const [ca, cb] = [median(a.map((x) => x.cpu)), median(b.map((x) => x.cpu + x.serverCpu))];
  console.log(`ci-overhead: app ${app}, ${RUNS} warm runs each, alternating, sandbox ${sandbox}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, node ${process.version}, load ${loadBefore} → ${load()}`);
  console.log(`  direct test command (npm test)   median ${da.toFixed(3)} s   CPU ${f2(ca)} s   runs ${a.map((x) => f2(x.wall)).join(' ')}`);
  console.log(`  slipway ci:run (end to end)      median ${db.toFixed(3)} s   CPU ${f2(cb)} s (CLI ${f2(median(b.map((x) => x.cpu)))}, server, its host tools and the sandboxed commands ${f2(median(b.map((x) => x.serverCpu)))})   runs ${b.map((x) => f2(x.wall)).join(' ')}`);
  console.log(`  warm overhead ${(db - da).toFixed(3)} s wall, ${f2(cb - ca)} CPU-s   (aim ≤ ${AIM_S} s: ${db - da <= AIM_S ? 'met' : 'NOT met'})`);
  console.log('  a node, step by step (medians; CPU = its sandboxed commands\' cgroups + the server process and the host tools it ran):');
  const table = stepTable(nodes);
  for (const s of table) console.log(`    ${s.step.padEnd(34)} ${String(s.wallMs).padStart(6)} ms   CPU ${String(s.cpuMs).padStart(5)} ms`);
  const inNode = table.filter((s) => s.step !== 'cleanup').reduce((t, s) => t + s.wallMs, 0) / 1000;
  console.log(`    ${'(the node, to its end event)'.padEnd(34)} ${String(Math.round(inNode * 1000)).padStart(6)} ms`);
  console.log(`    ${'outside the node: CLI start, git archive, upload, run created, job claimed, polling'.padEnd(34)} ${String(Math.round((db - inNode) * 1000)).padStart(6)} ms`);
  console.log(`  a run's timeline from the CLI's start (medians): ${describeTimelines(b.map((x) => x.timeline))}`);
  console.log(`  inside bin/test-compile, measured apart: npm install (nothing to install) median ${f2(median(installs.map((x) => x.wall)))} s, CPU ${f2(median(installs.map((x) => x.cpu)))} s; a Node.js start median ${f2(median(nodeStarts.map((x) => x.wall)))} s, CPU ${f2(median(nodeStarts.map((x) => x.cpu)))} s`);
} finally {
  await server.stop();
}
