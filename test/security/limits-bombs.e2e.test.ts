// Attacks on shared resources from a one-off dyno and a CI test node: a fork bomb stays within
// its size's process limit, a disk filler gets ENOSPC at its quota (a filesystem of its own) and its data is gone afterwards,
// a memory bomb in a test step errors the node with a clear message. The server answers throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { latestRun, nodesOf, waitFor } from '../helpers/runs.js';
import { leftoverProcesses } from '../helpers/processes.js';
import { leftoverMounts, mountsAfter } from '../helpers/mounts.js';
import { hostProcessCount, hostileLimitsRepo } from '../helpers/hostile-limits.js';
import { assertAnswered, healthProbe } from '../helpers/health-probe.js';

let s: TestServer;
let dir: string;
const A = 'bomber';
const on = (args: string[], timeoutMs = 120_000) => cli(s, [...args, '-a', A], { cwd: dir, timeoutMs });
const duMb = (p: string) => Number(execFileSync('du', ['-s', '-x', '-m', p]).toString().split('\t')[0]);

before(async () => {
  s = await startServer();
  assert.match(s.output(), process.getuid?.() === 0 ? /resource limits: cgroups v[12] \(memory, pids, cpu\)/ : /rlimits only: /, 'the start-up line says how limits are enforced');
  dir = hostileLimitsRepo({
    environments: { test: { formation: { test: { size: 'standard-1x' } }, env: { HOG_MB: '3072' }, scripts: { test: 'node hog.js' } } },
  });
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  const b = await on(['builds:create']);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.equal((await cli(s, ['pipelines:create', 'bombs'])).code, 0);
});
after(async () => {
  await s.stop();
  assert.deepEqual(leftoverMounts(s.dataDir), [], 'a stopped server leaves nothing mounted');
});

test('a fork bomb in a standard-1x one-off gets at most 256 processes; the host and the API are unaffected', { timeout: 120_000 }, async () => {
  const baseline = hostProcessCount();
  let peak = baseline;
  const sampler = setInterval(() => { peak = Math.max(peak, hostProcessCount()); }, 100);
  const health = healthProbe(s.url, 100);
  const from = performance.now();
  const r = await on(['run', 'python3 fork.py']);
  clearInterval(sampler);
  const to = performance.now();
  const h = await health.stop();
  const m = /forked (\d+), refused (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout + r.stderr);
  assert.ok(Number(m[1]) < 256, `the bomb got ${m[1]} processes (standard-1x: 256 in all)`);
  assert.ok(Number(m[2]) > 0, 'forks past the limit were refused');
  assert.ok(peak - baseline < 400, `the host's process count rose by ${peak - baseline} only`);
  console.log(`# fork bomb: ${h.summary}`);
  assertAnswered(h, from, to, 'the fork bomb');
});

test('a disk filler gets ENOSPC at the 2 GB quota of standard-1x, its /tmp too; nothing else fills, nothing stays mounted', { timeout: 180_000 }, async () => {
  assert.match(s.output(), /disk by a filesystem per workspace \(ext4 on loop\)/, 'the start-up line says the quota is a filesystem per workspace');
  const before = duMb(s.dataDir);
  const health = healthProbe(s.url, 100);
  const from = performance.now();
  const dynoMounts = leftoverMounts(s.dataDir); // the app's web dyno has its own
  let peakMounts = 0;
  const sampler = setInterval(() => { peakMounts = Math.max(peakMounts, leftoverMounts(s.dataDir).length - dynoMounts.length); }, 200);
  const r = await on(['run', 'node fill.js'], 150_000);
  clearInterval(sampler);
  const to = performance.now();
  const h = await health.stop();
  assert.notEqual(r.code, 0, `the filler did not finish: ${r.stdout}${r.stderr}`);
  assert.ok(!r.stdout.includes('filled 4000 MB'), 'it never wrote its 4 GB');
  const m = /stopped by (\w+) after (\d+) MB; tmp: (\w+)/.exec(r.stdout);
  assert.ok(m, r.stdout + r.stderr);
  assert.equal(m[1], 'ENOSPC', 'the kernel refused the write past the quota');
  assert.ok(Number(m[2]) >= 1900 && Number(m[2]) <= 2048, `it wrote ${m[2]} MB (quota 2048 MB, less the slug)`);
  assert.equal(m[3], 'ENOSPC', 'its /tmp is on the same filesystem, full too');
  assert.ok(peakMounts > 0, 'the one-off ran on a filesystem of its own');
  // Unmounting flushes what the filler wrote (up to 2 GB of dirty pages): on a loaded machine that takes a while.
  assert.deepEqual(await mountsAfter(s.dataDir, dynoMounts, 30_000), [], 'its filesystem was unmounted and its loop device detached');
  let grown = duMb(s.dataDir) - before;
  for (const until = Date.now() + 30_000; grown >= 50 && Date.now() < until; grown = duMb(s.dataDir) - before) await new Promise((r) => setTimeout(r, 500));
  assert.ok(grown < 50, `the workspace, its image and its files were removed (the data dir grew by ${grown} MB)`);
  const again = await on(['run', 'echo fresh > f && cat f']);
  assert.match(again.stdout, /fresh/, 'the next one-off writes on a fresh filesystem');
  console.log(`# disk filler: ${h.summary}`);
  assertAnswered(h, from, to, 'the disk filler');
});

test('a dyno that fills its disk gets ENOSPC and restarts on a fresh filesystem (as on Heroku); its filesystem goes when scaled down', { timeout: 150_000 }, async () => {
  const webMounts = leftoverMounts(s.dataDir);
  const logs = async () => (await on(['logs', '-n', '1500'])).stdout;
  assert.equal((await on(['ps:scale', 'fill=1'])).code, 0);
  await waitFor('the filler dyno to fill its filesystem', async () => /heroku\[fill\.1\]: Disk quota exceeded: its filesystem is full, the limit of a standard-1x dyno is 2048 MB/.test(await logs()), 90_000);
  assert.match(await logs(), /app\[fill\.1\]: stopped by ENOSPC after \d+ MB; tmp: ENOSPC/);
  await waitFor('it to write again after its restart', async () => {
    const t = await logs();
    return /app\[fill\.1\]: wrote 100 MB/.test(t.slice(t.indexOf('Disk quota exceeded')));
  }, 60_000);
  assert.equal((await on(['ps:scale', 'fill=0'])).code, 0);
  assert.deepEqual(await mountsAfter(s.dataDir, webMounts), [], 'the filler\'s filesystem is gone');
  assert.equal((await api(s, 'GET', '/health')).status, 200);
});

test('a memory bomb in a CI test step (formation.test.size standard-1x): the node errors with the memory limit named; the server is fine', { timeout: 240_000 }, async () => {
  const r = await cli(s, ['ci:run', '-p', 'bombs'], { cwd: dir, timeoutMs: 200_000 });
  assert.notEqual(r.code, 0);
  const run = await latestRun(s, 'bombs');
  assert.equal(run.status, 'errored');
  const [node] = await nodesOf(s, run.id);
  assert.equal(node!.status, 'errored');
  assert.match(node!.message ?? '', /The test command was stopped: it exceeded its memory limit of 1024 MB/);
  assert.ok(!/reached 3072 MB/.test(r.stdout), 'the bomb never reached 3 GB');
  assert.deepEqual(await leftoverProcesses([node!.id]), []);
  assert.equal((await api(s, 'GET', '/health')).status, 200);
});

test('an unknown formation.test.size errors the run with the valid sizes listed', { timeout: 120_000 }, async () => {
  const bad = hostileLimitsRepo({ environments: { test: { formation: { test: { size: 'gigantic' } }, scripts: { test: 'true' } } } });
  const r = await cli(s, ['ci:run', '-p', 'bombs'], { cwd: bad });
  assert.notEqual(r.code, 0);
  const run = await latestRun(s, 'bombs');
  assert.equal(run.status, 'errored');
  assert.match(run.message ?? '', /formation\.test\.size: "gigantic" is not a dyno size\. Valid sizes: eco, basic, standard-1x/);
});
