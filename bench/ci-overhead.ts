// bench/ci-overhead: end-to-end `slipway ci:run` of an example app against running the same test
// command directly in a checkout, in the same run; medians of warm-cache runs, ratio and overhead.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { startServer, cli } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 7);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const time = async (f: () => Promise<unknown> | unknown) => { const t = process.hrtime.bigint(); await f(); return Number(process.hrtime.bigint() - t) / 1e9; };

const app = process.env['BENCH_APP'] ?? 'node-passing';
const server = await startServer();
try {
  await cli(server, ['pipelines:create', 'bench']);
  const dir = exampleRepo(app);
  const direct = () => {
    const r = spawnSync('npm', ['test', '--silent'], { cwd: dir, stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    if (r.status !== 0) throw new Error('the test command failed when run directly');
  };
  const viaSlipway = async () => {
    const r = await cli(server, ['ci:run', '-p', 'bench'], { cwd: dir });
    if (r.code !== 0) throw new Error(`ci:run failed: ${r.stdout}${r.stderr}`);
  };
  await viaSlipway(); // warm the setup cache
  direct();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) { a.push(await time(direct)); b.push(await time(viaSlipway)); }
  const [ma, mb] = [median(a), median(b)];
  const sandbox = (await (await fetch(server.url + '/health')).json() as { sandbox: string }).sandbox;
  console.log(`ci-overhead: app ${app}, ${RUNS} warm runs each, sandbox ${sandbox}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, node ${process.version}`);
  console.log(`  direct test command (npm test)   median ${ma.toFixed(3)} s   runs ${a.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  slipway ci:run (end to end)      median ${mb.toFixed(3)} s   runs ${b.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  ratio ${(mb / ma).toFixed(2)}×   overhead ${(mb - ma).toFixed(3)} s`);
} finally {
  await server.stop();
}
