// bench/ci-parallel: the 8-test suite of examples/parallel-suite with 1 node and with 4 nodes in the
// same run, wall time of `slipway ci:run` each; and add-on provisioning times (ephemeral Postgres, Redis).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 3);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const withQuantity = (q: number) => (d: string) => fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: { formation: { test: { quantity: q } }, scripts: { test: 'node --test-reporter=tap split-tests.js' } } } }));

const server = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '4' });
try {
  await cli(server, ['pipelines:create', 'bench']);
  const timed = async (dir: string) => {
    const t = process.hrtime.bigint();
    const r = await cli(server, ['ci:run', '-p', 'bench'], { cwd: dir, timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`ci:run failed: ${r.stdout}${r.stderr}`);
    if (!/8 passed/.test(r.stdout)) throw new Error(`expected 8 passed: ${r.stdout}`);
    return { s: Number(process.hrtime.bigint() - t) / 1e9, out: r.stdout };
  };
  const one = exampleRepo('parallel-suite', withQuantity(1));
  const four = exampleRepo('parallel-suite', withQuantity(4));
  await timed(one); // warm the cache
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) { a.push((await timed(one)).s); b.push((await timed(four)).s); }
  console.log(`ci-parallel: 8 tests × ~1 s, ${RUNS} runs each, runner slots 4, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`);
  console.log(`  1 node    median ${median(a).toFixed(2)} s   runs ${a.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  4 nodes   median ${median(b).toFixed(2)} s   runs ${b.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  speed-up  ${(median(a) / median(b)).toFixed(2)}×`);

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
