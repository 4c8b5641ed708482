// Apps outlive the server: on the embedded default's one command, the router and the local agent
// are processes of their own. SIGKILL the server while a steady load runs through the router: no
// request fails while it is down (5 s) and comes back; the restarted server adopts the running
// router and agent (the same pids: exactly one of each), no dyno is started twice, and a deploy
// after the restart swaps the dynos with no failed request either.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, viaRouter, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll } from './helpers/apps.js';
import { steadyLoad } from './helpers/load.js';
import { waitFor } from './helpers/runs.js';
import { freePort } from './helpers/postgres.js';
import { dynoPlacement } from './helpers/dyno-placement.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { companions } from './helpers/companions.js';
import net from 'node:net';
import os from 'node:os';
import { execFileSync } from 'node:child_process';
import { findExecutable } from '../src/sandbox/host-tools.js';

const A = 'outlives';
/** How long the server stays down while the router keeps serving. */
const DOWN_MS = 5000;
let s: TestServer;
let dir: string;
let env: Record<string, string>;
let routerPort: number;

/** The router's data plane where nginx is installed (the default, SLIPWAY_ROUTER=auto): the nginx master the router process runs, or undefined. */
function nginxMaster(dataDir: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir, 'nginx', 'nginx.pid'), 'utf8').trim());
    return fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[3] === String(companions(dataDir)['router']![0]) ? pid : undefined;
  } catch { return undefined; }
}
const withNginx = findExecutable('nginx') !== undefined && process.env['SLIPWAY_TEST_ROUTER'] !== 'node';

let appId = '';
/** This app's dyno ids that have processes (each dyno's processes carry its id as their marker). */
function runningDynos(): string[] {
  const seen = new Set<string>();
  findMarkedProcesses((m) => { if (m.startsWith(`dyno-${appId.slice(0, 8)}-`)) seen.add(m); return false; });
  return [...seen].sort();
}
type DynoJson = { id: string; name: string; state: string };
const webDynos = async () => (await api<DynoJson[]>(s, 'GET', `/apps/${A}/dynos`)).json.filter((d) => d.name.startsWith('web.'));

before(async () => {
  routerPort = await freePort();
  // The embedded default: the local agent runs as a process of its own without any setting, and the
  // router's data plane is nginx where it is installed (SLIPWAY_ROUTER=auto, the default), so its adoption is shown too.
  env = { PORT: String(await freePort()), SLIPWAY_ROUTER_PORT: String(routerPort), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' };
  s = await startServer(env);
  dir = exampleRepo('web-app');
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
});
after(async () => {
  const dataDir = s.dataDir;
  await s.stop();
  // A clean stop of the server stops its companions too (SLIPWAY_LEAVE_COMPANIONS is off).
  assert.deepEqual(companions(dataDir), { router: [], agent: [] }, 'no companion outlives a clean stop');
});

test('SIGKILL and restart under load: 0 failed requests, one router and one agent adopted, no duplicate dynos, a deploy after works', { timeout: 300_000 }, async () => {
  const b = await cli(s, ['builds:create', '-a', A], { cwd: dir });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.equal((await cli(s, ['ps:scale', 'web=2', '-a', A])).code, 0);
  await waitFor('web.1 and web.2 up', async () => (await webDynos()).filter((d) => d.state === 'up').length === 2, 60_000);
  const before = companions(s.dataDir);
  assert.equal(before['router']!.length, 1, JSON.stringify(before));
  assert.equal(before['agent']!.length, 1, JSON.stringify(before));
  const nginxBefore = nginxMaster(s.dataDir);
  if (withNginx) assert.ok(nginxBefore, 'nginx is installed: the router process routes with an nginx of its own (auto)');
  const dynosBefore = runningDynos();
  assert.equal(dynosBefore.length, 2, `two dyno process trees: ${dynosBefore.join(', ')}`);
  const ok = (r: { status: number; body: string }) => r.status === 200 && /running code one/.test(r.body);
  const load = steadyLoad({ routerPort }, A, ok, { intervalMs: 20, maxMs: 120_000 });
  await new Promise((r) => setTimeout(r, 1000));

  await s.kill();
  const downAt = Date.now();
  // The server is away: the router serves its last table, the agent keeps its dynos.
  let servedWhileDown = 0;
  while (Date.now() - downAt < DOWN_MS) {
    // The first one is marked: its router log line waits in the router until the server is back.
    const r = await viaRouter({ routerPort }, A, servedWhileDown === 0 ? '/?while-down=1' : '/');
    assert.ok(ok(r), `while the server is down: ${r.status} ${r.body.slice(0, 200)}`);
    servedWhileDown++;
    await new Promise((res) => setTimeout(res, 100));
  }
  // A line the dyno prints while the server is away keeps its own time in the app's log.
  const loggedAt = Date.now();
  assert.ok(ok(await viaRouter({ routerPort }, A, '/log/while-down')));
  await new Promise((res) => setTimeout(res, 1000));
  const restartAt = Date.now();
  s = await startServer(env, s.dataDir);
  await new Promise((r) => setTimeout(r, 3000)); // the agent and router reconnect (back-off) under load
  const { failures, served } = await load.stop();
  assert.equal(failures, 0, `${failures} of ${failures + served} requests failed across the SIGKILL and restart`);
  assert.ok(served > 100 && servedWhileDown > 10, `served ${served} (${servedWhileDown} while the server was down for ${DOWN_MS} ms)`);
  assert.match(s.output(), /router: adopted the running process/);
  let routed = '';
  await waitFor('the router\'s log line of a request served while the server was down', async () => {
    routed = /^(\S+) heroku\[router\]: at=info method=GET path="\/\?while-down=1" host=outlives\.localhost .* status=200/m.exec((await cli(s, ['logs', '-a', A, '-n', '1500', '-d', 'router'])).stdout)?.[1] ?? '';
    return Boolean(routed);
  }, 30_000);
  assert.ok(Date.parse(routed) >= downAt - 1000 && Date.parse(routed) < restartAt, `the router line's time ${routed} is the request's (the server was down from ${new Date(downAt).toISOString()} to ${new Date(restartAt).toISOString()})`);
  assert.match(s.output(), /agent: adopted the running process/);
  let logged = '';
  await waitFor('the dyno\'s line printed while the server was down', async () => {
    logged = /^(\S+) app\[web\.\d\]: logged while-down$/m.exec((await cli(s, ['logs', '-a', A, '-n', '1500'])).stdout)?.[1] ?? '';
    return Boolean(logged);
  }, 30_000);
  assert.ok(Date.parse(logged) >= loggedAt - 1000 && Date.parse(logged) < restartAt, `the line's time ${logged} is when the dyno printed it (${new Date(loggedAt).toISOString()}), not when the restarted server (${new Date(restartAt).toISOString()}) received it`);
  assert.deepEqual(companions(s.dataDir), before, 'the same router and agent processes: adopted, none started beside them');
  assert.equal(nginxMaster(s.dataDir), nginxBefore, 'the same nginx, adopted with its router process');
  assert.deepEqual(runningDynos(), dynosBefore, 'the same dynos run, none started twice');
  await new Promise((r) => setTimeout(r, 2500)); // a few reconcile passes: nothing more starts
  assert.deepEqual(runningDynos(), dynosBefore);

  // A deploy after the restart, under load: the new code serves, the old dynos drain, nothing fails.
  const server = path.join(dir, 'server.js');
  fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace("const VERSION = 'one';", "const VERSION = 'two';"));
  commitAll(dir, 'code two');
  const deployLoad = steadyLoad({ routerPort }, A, (r) => r.status === 200 && /running code (one|two)/.test(r.body), { intervalMs: 20, maxMs: 180_000 });
  const d = await cli(s, ['builds:create', '-a', A], { cwd: dir });
  assert.equal(d.code, 0, d.stdout + d.stderr);
  await waitFor('code two to serve', async () => /running code two/.test((await viaRouter({ routerPort }, A)).body), 60_000);
  await waitFor('only code two to serve', async () => {
    for (let i = 0; i < 6; i++) if (!/running code two/.test((await viaRouter({ routerPort }, A)).body)) return false;
    return true;
  }, 60_000);
  const deployed = await deployLoad.stop();
  assert.equal(deployed.failures, 0, `${deployed.failures} of ${deployed.failures + deployed.served} requests failed across the deploy`);
  await waitFor('the old dynos gone', async () => runningDynos().length === 2 && runningDynos().every((id) => !dynosBefore.includes(id)), 60_000);
  assert.deepEqual(companions(s.dataDir), before, 'still one router and one agent');
});


test('an app with an add-on server runs on the local agent beside its add-on (the server has no agent of its own); detached, it stays there', { timeout: 240_000 }, async () => {
  const B = 'outlives-db';
  assert.equal((await cli(s, ['apps:create', B])).code, 0);
  const add = await cli(s, ['addons:create', 'heroku-redis', '-a', B, '--as', 'CACHE']);
  assert.equal(add.code, 0, add.stdout + add.stderr);
  const b = await cli(s, ['builds:create', '-a', B], { cwd: dir });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.deepEqual(dynoPlacement(s.dataDir, B), { 'web.1': 'local' });
  await waitFor('the app with an add-on served', async () => (await viaRouter({ routerPort }, B)).status === 200, 60_000);
  const agents = (await cli(s, ['agents'])).stdout;
  assert.match(agents, /^local\s/m);
  assert.doesNotMatch(agents, /^local-server\s/m, 'no agent of the server\'s own: the local agent process runs every dyno, private spaces\' too');
  const gone = await cli(s, ['addons:destroy', 'CACHE', '-a', B, '--confirm', B]);
  assert.equal(gone.code, 0, gone.stdout + gone.stderr);
  await waitFor('the release without the add-on', async () => /Detach CACHE/.test((await cli(s, ['releases', '-a', B])).stdout), 60_000);
  assert.deepEqual(dynoPlacement(s.dataDir, B), { 'web.1': 'local' });
  await waitFor('served from the local agent', async () => (await viaRouter({ routerPort }, B)).status === 200, 60_000);
});

/** A port held by another listener, and a certificate for the API's TLS port: a start that fails after its companions are up. */
async function tlsPortTaken(): Promise<{ env: Record<string, string>; release: () => void }> {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-tls-'));
  const [crt, key] = [path.join(d, 'api.crt'), path.join(d, 'api.key')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-keyout', key, '-out', crt], { stdio: 'ignore' });
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
  const port = (holder.address() as net.AddressInfo).port;
  return { env: { SLIPWAY_TLS_PORT: String(port), SLIPWAY_TLS_CERT: crt, SLIPWAY_TLS_KEY: key }, release: () => { holder.close(); fs.rmSync(d, { recursive: true, force: true }); } };
}

test('a start that fails once its companions are up stops those it started and leaves those it adopted serving', { timeout: 240_000 }, async () => {
  const taken = await tlsPortTaken();
  try {
    // A first start on a fresh data folder: the router and agent it started are stopped with it.
    const fresh = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-test-failed-start-'));
    await assert.rejects(startServer({ ...taken.env }, fresh), /server exited \(\d+\)[\s\S]*127\.0\.0\.1:\d+ is in use \(SLIPWAY_TLS_PORT\): stop what listens there or choose another port/);
    assert.deepEqual(companions(fresh), { router: [], agent: [] }, 'nothing it started is left running');

    // A restart that fails: the router and agent it adopted keep the apps served meanwhile.
    const before = companions(s.dataDir);
    await s.kill();
    await assert.rejects(startServer({ ...env, ...taken.env }, s.dataDir), /server exited \(\d+\)[\s\S]*127\.0\.0\.1:\d+ is in use \(SLIPWAY_TLS_PORT\): stop what listens there or choose another port/);
    assert.deepEqual(companions(s.dataDir), before, 'the adopted router and agent still run');
    const r = await viaRouter({ routerPort }, A);
    assert.equal(r.status, 200, `the app is served after the failed start: ${r.status} ${r.body.slice(0, 200)}`);
    s = await startServer(env, s.dataDir);
    assert.deepEqual(companions(s.dataDir), before, 'the next start adopts them');
  } finally { taken.release(); }
});
