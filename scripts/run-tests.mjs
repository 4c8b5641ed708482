// `npm test`'s runner (scripts/test.sh): the test files in the order given (the longest first),
// each as `node --test --test-reporter=tap --test-timeout=600000 FILE`, its TAP printed whole when
// it ends, then the run's totals in node:test's summary lines. Two files at a time, and a third
// (up to SLIPWAY_TEST_CONCURRENCY's number, given first) only while the CPUs are idle enough, as
// `make -l` and GNU parallel's `--load` do: the end-to-end files wait on servers, dynos and timers
// much of their time, which leaves a fast machine's CPUs idle with two, while a slower one is busy
// with two already and a third would only slow every file (docs/benchmarks.md, "the suite").
// Each file's wall time goes to the file named second, longest first (the format of
// scripts/test-times.txt). Exits 1 when a test failed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const [given, timesFile, ...files] = process.argv.slice(2);
if (!/^[1-9][0-9]*$/.test(given ?? '')) {
  console.error(`SLIPWAY_TEST_CONCURRENCY must be a whole number of files at a time (1 or more), not ${JSON.stringify(given)}`);
  process.exit(2);
}
const most = Number(given);
const always = Math.min(2, most);
/** A file beyond the first two starts only when the CPUs were this idle over the last seconds… */
const IDLE_TO_START = 0.3;
/** …and this long after the last start (its load shows by then). */
const SETTLE_MS = 10_000;

/** The CPUs' idle share over the last few seconds, from /proc/stat (1: no /proc). */
const samples = [];
function sampleCpu() {
  try {
    const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    samples.push({ idle: f[3] + (f[4] ?? 0), total: f.reduce((a, b) => a + b, 0) });
    if (samples.length > 4) samples.shift();
  } catch { /* not Linux */ }
}
const idleShare = () => {
  if (samples.length < 2) return 1;
  const [a, z] = [samples[0], samples[samples.length - 1]];
  return z.total > a.total ? (z.idle - a.idle) / (z.total - a.total) : 1;
};

const totals = { tests: 0, suites: 0, pass: 0, fail: 0, cancelled: 0, skipped: 0, todo: 0 };
const times = [];
const running = new Set();
const t0 = Date.now();
let next = 0;
let lastStart = 0;

function start(file) {
  const began = Date.now();
  lastStart = began;
  const child = spawn(process.execPath, ['--test', '--test-reporter=tap', '--test-timeout=600000', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  const out = [];
  child.stdout.on('data', (c) => out.push(c));
  child.stderr.on('data', (c) => out.push(c));
  child.on('close', (code, signal) => {
    running.delete(child);
    const text = Buffer.concat(out).toString('utf8');
    process.stdout.write(`# file: ${file}\n${text}${text.endsWith('\n') ? '' : '\n'}`);
    // The file's own summary is its last lines of `# name N`.
    const counted = {};
    for (const m of text.matchAll(/^# (tests|suites|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) counted[m[1]] = Number(m[2]);
    for (const k of Object.keys(totals)) totals[k] += counted[k] ?? 0;
    if (code !== 0 || (counted.fail ?? 0) > 0) {
      process.exitCode = 1;
      if (!counted.fail) { totals.fail++; process.stdout.write(`not ok - ${file} # the file ended with ${signal ?? `exit code ${code}`} and no failed test\n`); }
    }
    times.push([Math.round((Date.now() - began) / 1000), path.relative(process.cwd(), path.resolve(file))]);
    fill();
  });
}

function fill() {
  while (next < files.length && running.size < most) {
    const extra = running.size >= always;
    if (extra && (Date.now() - lastStart < SETTLE_MS || idleShare() < IDLE_TO_START)) break;
    start(files[next++]);
  }
  if (next >= files.length && running.size === 0) finish();
}

let finished = false;
function finish() {
  if (finished) return;
  finished = true;
  clearInterval(sampler);
  clearInterval(poll);
  for (const k of Object.keys(totals)) process.stdout.write(`# ${k} ${totals[k]}\n`);
  process.stdout.write(`# duration_ms ${Date.now() - t0}\n`);
  times.sort((a, b) => b[0] - a[0] || a[1].localeCompare(b[1]));
  fs.writeFileSync(timesFile, times.map(([s, f]) => `${s} ${f}\n`).join(''));
}

const sampler = setInterval(sampleCpu, 1000);
// Between ends, a third file may start once the CPUs are idle enough.
const poll = setInterval(fill, 2000);
sampleCpu();
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { for (const c of running) c.kill('SIGTERM'); process.exit(130); });
fill();
