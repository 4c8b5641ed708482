// Attack: a dyno that allocates memory without end. It must be told R14 over its quota, killed at
// its size's hard limit with R15 and restarted, while the API and another app keep answering;
// a bigger size (ps:type) lets it allocate what the smaller one could not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, api, viaRouter, type TestServer } from '../helpers/server.js';
import { waitFor } from '../helpers/runs.js';
import { steadyLoad } from '../helpers/load.js';
import { hostileLimitsRepo } from '../helpers/hostile-limits.js';
import { assertAnswered, healthProbe } from '../helpers/health-probe.js';

let s: TestServer;
let dir: string;
const A = 'hog-app';
const B = 'bystander';
const on = (app: string, args: string[]) => cli(s, [...args, '-a', app], { cwd: dir });
const logs = async () => (await on(A, ['logs', '-n', '1500'])).stdout;
const count = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l)).length;
/** Wait until the app log satisfies `ok`; on timeout the error shows the log's tail. */
async function waitLog(what: string, ok: (log: string) => boolean, ms: number): Promise<void> {
  try { await waitFor(what, async () => ok(await logs()), ms); } catch (e) { throw new Error(`${(e as Error).message}; the log ends:\n${(await logs()).split('\n').slice(-40).join('\n')}`, { cause: e }); }
}

before(async () => {
  s = await startServer({ SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  dir = hostileLimitsRepo();
  for (const app of [A, B]) {
    assert.equal((await cli(s, ['apps:create', app])).code, 0);
    const b = await on(app, ['builds:create']);
    assert.equal(b.code, 0, b.stdout + b.stderr);
  }
  await waitFor('the bystander to serve', async () => (await viaRouter(s, B)).status === 200);
});
after(async () => { await s.stop(); });

test('a memory bomb in a standard-1x dyno: R14 over 512 MB, killed with R15 at the limit, restarted; the API and another app unaffected', { timeout: 180_000 }, async () => {
  assert.equal((await on(A, ['config:set', 'HOG_MB=3072', 'HOG_PAUSE_AT=640'])).code, 0);
  const load = steadyLoad(s, B, (r) => r.status === 200 && r.body === 'ok web.1\n', { maxMs: 150_000 });
  const health = healthProbe(s.url, 100);
  const from = performance.now();
  const scaled = await on(A, ['ps:scale', 'hog=1']);
  assert.equal(scaled.code, 0, scaled.stderr);
  await waitLog('R14 in the app log', (t) => /heroku\[hog\.1\]: Error R14 \(Memory quota exceeded\)/.test(t), 60_000);
  const l = await logs();
  assert.match(l, /heroku\[hog\.1\]: Process running mem=\d+M\(1\d\d\.\d%\)/, 'the memory line with its share of the quota');
  await waitLog('R15 and the restart', (t) => /heroku\[hog\.1\]: Error R15 \(Memory quota vastly exceeded\)/.test(t) && /hog\.1: state changed to crashed; restarting/.test(t) && count(t, /Starting process hog\.1/) >= 2, 90_000);
  const after = await logs();
  assert.ok(!/allocated 1088 MB/.test(after), 'it never got past the 1024 MB hard limit of standard-1x');
  assert.match(after, /allocated 1024 MB|allocated 960 MB/, 'it got close to the limit first');
  assert.equal((await on(A, ['ps:scale', 'hog=0'])).code, 0);
  const to = performance.now();
  const h = await health.stop();
  const served = await load.stop();
  console.log(`# memory bomb: ${h.summary}`);
  assertAnswered(h, from, to, 'the memory bomb');
  assert.equal(served.failures, 0, `the other app served every request (${served.served} served)`);
  assert.ok(served.served > 20);
});

test('ps:type: at standard-2x the dyno holds 1536 MB that standard-1x could not; ps and the formation API show the size', { timeout: 180_000 }, async () => {
  assert.equal((await on(A, ['config:set', 'HOG_MB=1536', 'HOG_PAUSE_AT=0'])).code, 0);
  const before15 = count(await logs(), /Error R15/);
  assert.equal((await on(A, ['ps:scale', 'hog=1'])).code, 0);
  await waitLog('R15 at standard-1x', (t) => count(t, /Error R15/) > before15, 60_000);
  assert.ok(!/reached 1536 MB/.test(await logs()), 'standard-1x cannot hold 1536 MB');

  const typed = await on(A, ['ps:type', 'hog=standard-2x']);
  assert.equal(typed.code, 0, typed.stderr);
  assert.match(typed.stdout, /hog\s+standard-2x\s+1/);
  await waitLog('the 1536 MB held', (t) => /reached 1536 MB/.test(t), 60_000);
  const r15s = count(await logs(), /Error R15/);
  await new Promise((r) => setTimeout(r, 4000));
  const l = await logs();
  assert.equal(count(l, /Error R15/), r15s, 'no R15 while it holds 1536 MB at standard-2x');
  assert.match(l, /heroku\[hog\.1\]: Error R14/, 'but it is over the 1024 MB quota: R14');
  const ps = await on(A, ['ps']);
  assert.match(ps.stdout, /=== hog \(standard-2x\): 1/);
  const f = await api<{ size: string; quantity: number }>(s, 'GET', `/apps/${A}/formation/hog`);
  assert.deepEqual([f.status, f.json.size, f.json.quantity], [200, 'standard-2x', 1]);
  const dynos = await api<{ name: string; size: string; state: string }[]>(s, 'GET', `/apps/${A}/dynos`);
  assert.equal(dynos.json.find((d) => d.name === 'hog.1')?.size, 'standard-2x');
  assert.equal((await on(A, ['ps:scale', 'hog=0'])).code, 0);
});

test('an unknown size is refused with the valid ones listed; Heroku spellings are accepted', { timeout: 60_000 }, async () => {
  const bad = await on(A, ['ps:type', 'web=huge']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /"huge" is not a dyno size\. Valid sizes: eco, basic, standard-1x, standard-2x, performance-m, performance-l/);
  const viaApi = await api<{ id: string; message: string }>(s, 'PATCH', `/apps/${A}/formation/web`, { size: 'x-large' });
  assert.equal(viaApi.status, 422);
  assert.equal(viaApi.json.id, 'invalid_params');
  const run = await api<{ id: string; message: string }>(s, 'POST', `/apps/${A}/dynos`, { command: 'true', size: 'tiny' });
  assert.equal(run.status, 422);
  assert.match(run.json.message, /Valid sizes/);
  const heroku = await api<{ size: string }>(s, 'PATCH', `/apps/${A}/formation/web`, { size: 'Standard-2X' });
  assert.deepEqual([heroku.status, heroku.json.size], [200, 'standard-2x']);
  assert.equal((await api(s, 'GET', '/health')).status, 200);
});
