// bench/ci-warm: a real project (process-warning's jest suite, from the npm registry) run warm
// through `slipway ci:run` against its test command run directly in an installed checkout; medians,
// the warm overhead, and the time until ci:run prints its first line of output.
import { spawn } from 'node:child_process';
import os from 'node:os';
import { startServer, cli, BIN, TOKEN } from '../test/helpers/server.js';
import { commitAll } from '../test/helpers/apps.js';
import { runCommand } from '../test/helpers/run-command.js';
import { fetchProject, runDirectly, type Project } from '../test/realworld/project.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 5);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };
const PROJECT: Project = {
  spec: 'process-warning@4.0.0', devDependencies: { jest: '^29.7.0', 'jest-junit': '^16.0.0' },
  test: 'JEST_JUNIT_OUTPUT_DIR="$CI_REPORTS_DIR" jest test/jest.test.js --ci --reporters=default --reporters=jest-junit',
  // As the project's own repository has it (a cached tree that is the lockfile's needs no npm install).
  lockfile: true,
};

/** One warm `ci:run`: seconds to its first output line and to its end. */
function timedRun(url: string, repo: string): Promise<{ first: number; total: number }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const secs = () => Number(process.hrtime.bigint() - t0) / 1e9;
    let first = -1;
    const p = spawn(process.execPath, [BIN, 'ci:run', '-p', 'bench'], { cwd: repo, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: os.homedir(), SLIPWAY_URL: url, SLIPWAY_TOKEN: TOKEN } });
    p.stdout.on('data', (c: Buffer) => { if (first < 0 && c.includes(10)) first = secs(); });
    p.on('close', (code) => (code === 0 ? resolve({ first, total: secs() }) : reject(new Error(`ci:run exited ${code}`))));
  });
}

const server = await startServer();
try {
  await cli(server, ['pipelines:create', 'bench']);
  const repo = fetchProject(PROJECT);
  const { dir } = await runDirectly(PROJECT, repo); // installs the checkout once
  const direct = async () => {
    const t0 = process.hrtime.bigint();
    const r = await runCommand('/bin/bash', ['-c', `export PATH="$PWD/node_modules/.bin:$PATH"\n${PROJECT.test}`], { cwd: dir, timeoutMs: 120_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, CI: 'true', CI_REPORTS_DIR: dir } });
    if (r.code !== 0) throw new Error('the tests failed when run directly');
    return Number(process.hrtime.bigint() - t0) / 1e9;
  };
  await timedRun(server.url, repo); // cold: fills the setup cache
  const a: number[] = [];
  const b: { first: number; total: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(await direct());
    commitAll(repo, `warm run ${i}`);
    b.push(await timedRun(server.url, repo));
  }
  const [ma, mb, mf] = [median(a), median(b.map((x) => x.total)), median(b.map((x) => x.first))];
  console.log(`ci-warm: ${PROJECT.spec} (jest), ${RUNS} warm runs each, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, node ${process.version}`);
  console.log(`  direct test command           median ${ma.toFixed(2)} s   runs ${a.map((x) => x.toFixed(2)).join(' ')}`);
  console.log(`  slipway ci:run (warm)         median ${mb.toFixed(2)} s   runs ${b.map((x) => x.total.toFixed(2)).join(' ')}`);
  console.log(`  first output line of ci:run   median ${mf.toFixed(2)} s`);
  console.log(`  warm overhead ${(mb - ma).toFixed(2)} s`);
} finally {
  await server.stop();
}
