// The local agent and router processes are replaced under a running app: a companion stopped with
// SIGSTOP (its pid alive, its socket silent) is found hung by the server's supervisor within
// HANG_MS, killed and started again, and the app serves again; a restart of the server with another
// companion version (SLIPWAY_TEST_COMPANION_VERSION_TAG, as an upgrade) replaces both companions,
// and the next restart of that version adopts them.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, api, viaRouter, serverLogTails, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { freePort } from './helpers/postgres.js';
import { companions } from './helpers/companions.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { hangDetectedWithinMs } from '../src/companions/companion-hang.js';
import { alive } from '../src/companions/companions.js';

const A = 'outlive-agent';
/** From the SIGSTOP to the server's line saying the process is hung (3 unanswered pings), with a second for the log to be read. */
const HANG_MS = hangDetectedWithinMs() + 1000;
/** From the hang's line to the app answering through the router again: the 1 s back-off, the companion's start, a dyno's boot. */
const SERVE_AGAIN_MS = 30_000;

let s: TestServer;
let env: Record<string, string>;
let appId = '';

const ok = (r: { status: number; body: string }) => r.status === 200 && /running code one/.test(r.body);
const served = async () => ok(await viaRouter(s, A).catch(() => ({ status: 0, body: '' })));
const only = (kind: string): number => {
  const pids = companions(s.dataDir)[kind]!;
  assert.equal(pids.length, 1, `one ${kind} process: ${JSON.stringify(companions(s.dataDir))}`);
  return pids[0]!;
};
const dynoPids = () => findMarkedProcesses((m) => m.startsWith(`dyno-${appId.slice(0, 8)}-`));

before(async () => {
  env = { PORT: String(await freePort()), SLIPWAY_ROUTER_PORT: String(await freePort()), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' };
  s = await startServer(env);
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
  const b = await cli(s, ['builds:create', '-a', A], { cwd: exampleRepo('web-app') });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await waitFor('the app to serve through the router', served, 60_000);
});
after(async () => {
  const dataDir = s.dataDir;
  await s.stop();
  assert.deepEqual(companions(dataDir), { router: [], agent: [] }, 'no companion outlives a clean stop');
  assert.deepEqual(dynoPids(), [], 'no dyno is left');
});

for (const kind of ['router', 'agent']) {
  test(`SIGSTOP the ${kind} process: found hung within the bound, killed, started again, and the app serves again`, { timeout: 120_000 }, async () => {
    const pid = only(kind);
    process.kill(pid, 'SIGSTOP');
    const at = Date.now();
    try {
      const re = new RegExp(`${kind}: process ${pid} runs but has not answered on its socket for [\\d.]+ s \\(3 pings in a row\\): killing it`);
      await waitFor(`the server to find the ${kind} hung`, async () => re.test(s.output()), HANG_MS);
      const foundMs = Date.now() - at;
      assert.ok(!alive(pid), `the hung process ${pid} was killed`);
      assert.match(s.output(), new RegExp(`${kind}: process ${pid} hung \\(killed after 3 unanswered pings\\); starting a new one in 1 s`));
      const next = await waitFor(`a new ${kind} process`, async () => {
        const p = companions(s.dataDir)[kind]!;
        return p.length === 1 && p[0] !== pid && new RegExp(`${kind}: started process ${p[0]} `).test(s.output()) ? p[0] : undefined;
      }, SERVE_AGAIN_MS);
      await waitFor('the app to serve again', served, SERVE_AGAIN_MS);
      console.log(`${kind}: SIGSTOP → found hung in ${foundMs} ms (bound ${HANG_MS}), new process ${next}, serving again after ${Date.now() - at} ms`);
    } catch (e) {
      try { process.kill(pid, 'SIGCONT'); } catch { /* killed */ }
      throw new Error(`${(e as Error).message}\n${serverLogTails(s, 60)}`, { cause: e });
    }
  });
}

test('a restart with another companion version replaces the router and the agent (an upgrade); the next restart of that version adopts them', { timeout: 240_000 }, async () => {
  const before = companions(s.dataDir);
  await s.kill();
  s = await startServer({ ...env, SLIPWAY_TEST_COMPANION_VERSION_TAG: 'next' }, s.dataDir);
  for (const kind of ['router', 'agent']) {
    assert.match(s.output(), new RegExp(`${kind}: process ${before[kind]![0]} runs \\S+ for .*; this server is \\S+\\+next for .*: replacing it`));
    assert.notDeepEqual(companions(s.dataDir)[kind], before[kind], `a new ${kind} process`);
  }
  await waitFor('the app to serve after the upgrade', served, SERVE_AGAIN_MS);
  const upgraded = companions(s.dataDir);
  await s.kill();
  s = await startServer({ ...env, SLIPWAY_TEST_COMPANION_VERSION_TAG: 'next' }, s.dataDir);
  assert.match(s.output(), /router: adopted the running process/);
  assert.match(s.output(), /agent: adopted the running process/);
  assert.deepEqual(companions(s.dataDir), upgraded, 'the upgraded companions adopted, none started beside them');
  await waitFor('the app to serve', served, SERVE_AGAIN_MS);
});
