// Private spaces end to end with real namespaces, bridges and nftables, through the real server,
// CLI and router: DNS between apps of a space, isolation from another space and from the common
// runtime (both directions), stable egress, trusted IP ranges, internal routing, CI in a space,
// and nothing of Slipway's left on the host afterwards. Needs root; skipped with the reason otherwise.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { agentTag, clientNetwork, inNs, serverTag, slipwayLeftovers } from './helpers/netns.js';
import { companions } from './helpers/companions.js';
import { needs } from './helpers/tools.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';

const skip = needs('spaces');
const ROUTER_HOST = '10.219.0.1'; // the host's end of the test clients' bridge
const CLIENTS = { 'tsw-in': '10.219.0.10', 'tsw-out': '10.219.0.20' };
const A = 'sp-alpha';
const B = 'sp-beta';

let s: TestServer;
let dir: string;
let clients: { close(): void } | undefined;
const run = (args: string[]) => cli(s, args, { cwd: dir, timeoutMs: 240_000 });

/** A request to the router as a client in namespace `ns` (or from the host with ns undefined). */
async function viaRouterFrom(ns: string | undefined, app: string, p = '/'): Promise<{ status: number; body: string }> {
  if (!ns) {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: ROUTER_HOST, port: s.routerPort, path: p, headers: { host: `${app}.localhost` }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => { body += c; });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }
  const script = `require('http').get({host:'${ROUTER_HOST}',port:${s.routerPort},path:${JSON.stringify(p)},headers:{host:'${app}.localhost'}},(r)=>{let b='';r.on('data',c=>b+=c);r.on('end',()=>console.log(JSON.stringify({status:r.statusCode,body:b})))}).on('error',e=>console.log(JSON.stringify({status:0,body:e.code})))`;
  const r = await inNs(ns, [process.execPath, '-e', script]);
  return JSON.parse(r.stdout) as { status: number; body: string };
}

/** The status the router answers a WebSocket upgrade for `app` with, from the host. */
const upgradeStatus = (app: string) => new Promise<number>((resolve, reject) => {
  const req = http.request({ host: ROUTER_HOST, port: s.routerPort, path: '/', headers: { host: `${app}.localhost`, connection: 'Upgrade', upgrade: 'websocket' }, agent: false });
  req.on('response', (res) => { res.resume(); resolve(res.statusCode ?? 0); });
  req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode ?? 101); });
  req.on('error', reject);
  req.end();
});

/** What a dyno of `app` saw fetching `url` from inside its own network: "ok 200 …" or "error CODE". */
const fetchFrom = async (app: string, url: string) => (await viaRouterFrom(undefined, app, `/fetch?url=${encodeURIComponent(url)}`)).body.trim();

interface Topology { apps: Array<{ id: string; formation: Array<{ process_type: string; dynos: Array<{ private_ip: string; hostname: string }> }> }> }
const webIps = async (space: string) => (await api<Topology>(s, 'GET', `/spaces/${space}/topology`)).json.apps.flatMap((a) => a.formation.flatMap((f) => f.dynos.map((d) => d.private_ip)));

/** Nothing of the server's nor of its local agent process's (which owns the spaces) on the host; `spacesOnly`: of the spaces. */
function assertNothingLeft(spacesOnly = false, why = 'nothing of Slipway\'s is left'): void {
  // On failure, the server's warnings and errors say who held what (its local agent's lines among them).
  const agentLog = path.join(s.dataDir, 'companions', 'agent.log');
  const said = () => [s.output(), fs.existsSync(agentLog) ? fs.readFileSync(agentLog, 'utf8') : ''].map((o) => o.split('\n').filter((l) => /warn|error|agent|stopp/i.test(l)).slice(-20).join('\n')).join('\n--- agent.log:\n');
  for (const tag of [serverTag(s.dataDir), agentTag(s.dataDir)]) assert.deepEqual(slipwayLeftovers({ spacesOnly, tag }), { netns: [], links: [], tables: [] }, `${why} (tag ${tag}; server ${serverTag(s.dataDir)}, agent ${agentTag(s.dataDir)})\n${said()}`);
}

/** The dynos of the test's apps: their desired ids, the dyno ids with processes, and those processes. */
async function spaceAppDynos(): Promise<{ rows: string[]; markers: string[]; pids: number[] }> {
  const apps = ['sp-public', 'sp-internal', 'sp-other', 'sp-common'];
  const rows = (await Promise.all(apps.map(async (a) => (await api<Array<{ id: string }>>(s, 'GET', `/apps/${a}/dynos`)).json.map((d) => d.id)))).flat().sort();
  const prefixes = (await Promise.all(apps.map(async (a) => (await api<{ id: string }>(s, 'GET', `/apps/${a}`)).json.id.slice(0, 8)))).map((id) => `dyno-${id}-`);
  const markers = new Set<string>();
  const pids = findMarkedProcesses((m) => { const mine = prefixes.some((p) => m.startsWith(p)); if (mine) markers.add(m); return mine; });
  return { rows, markers: [...markers].sort(), pids: pids.sort((a, b) => a - b) };
}

async function deploy(app: string, label: string, extra: string[] = []): Promise<string> {
  const c = await run(['apps:create', app, ...extra]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal((await run(['config:set', `LABEL=${label}`, '-a', app])).code, 0);
  const b = await run(['builds:create', '-a', app]);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  return b.stdout;
}

before(async () => {
  if (skip) return;
  clients = clientNetwork(ROUTER_HOST, CLIENTS);
  s = await startServer({ SLIPWAY_ROUTER_HOST: ROUTER_HOST, SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  dir = exampleRepo('space-app');
});
after(async () => {
  if (skip) return;
  await s?.stop();
  clients?.close();
  // Whatever happened in the tests, a stopped server (and its local agent process) leaves nothing of Slipway's on the host.
  assertNothingLeft();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('spaces:create builds a space; bad CIDRs and clashes are refused with ids', { skip, timeout: 60_000 }, async () => {
  const a = await cli(s, ['spaces:create', A, '--cidr', '10.213.0.0/16']);
  assert.equal(a.code, 0, a.stderr);
  assert.match(a.stdout, /Created space sp-alpha \(10\.213\.0\.0\/16\); outbound traffic leaves from 10\.213\.255\.254/);
  assert.equal((await cli(s, ['spaces:create', B, '--cidr', '10.214.0.0/16'])).code, 0);
  const overlap = await cli(s, ['spaces:create', 'sp-gamma', '--cidr', '10.213.0.0/16']);
  assert.equal(overlap.code, 2);
  assert.match(overlap.stderr, /overlaps 10\.213\.0\.0\/16 \(space sp-alpha\).*\(cidr_in_use\)/);
  const bad = await api<{ id: string }>(s, 'POST', '/spaces', { name: 'sp-gamma', cidr: '8.8.0.0/16' });
  assert.deepEqual([bad.status, bad.json.id], [422, 'invalid_params']);
  const nat = await api<{ sources: string[]; state: string }>(s, 'GET', `/spaces/${A}/nat`);
  assert.deepEqual([nat.json.sources, nat.json.state], [['10.213.255.254'], 'enabled']);
  const shown = await api<{ name: string; state: string; cidr: string; shield: boolean }>(s, 'GET', `/spaces/${A}`);
  assert.deepEqual([shown.json.name, shown.json.state, shown.json.cidr, shown.json.shield], [A, 'allocated', '10.213.0.0/16', false]);
  assert.equal((await api(s, 'GET', '/spaces/nope')).status, 404);
  assert.equal((await cli(s, ['apps:create', 'sp-lost', '--internal-routing'])).code, 2, 'internal routing needs a space');
});

test('apps in a space: release phase and dynos on the space network; two apps talk over app.localspace; internal app only from inside', { skip, timeout: 400_000 }, async () => {
  const out = await deploy('sp-public', 'public', ['--space', A]);
  assert.match(out, /release phase at 10\.213\.\d+\.\d+/, 'the release phase ran inside the space');
  await deploy('sp-internal', 'internal', ['--space', A, '--internal-routing']);
  await deploy('sp-other', 'other', ['--space', B]);
  await deploy('sp-common', 'common');

  const pub = await waitFor('sp-public to serve', async () => { const r = await viaRouterFrom(undefined, 'sp-public'); return r.status === 200 && r; });
  assert.equal(pub.body, 'public web.1 port=5000\n', 'a space dyno listens on its own address, port 5000');
  assert.equal((await viaRouterFrom(undefined, 'sp-internal')).status, 404, 'internal routing: the router does not serve it');
  assert.equal(await upgradeStatus('sp-internal'), 404, 'nor upgrades to it');
  assert.equal(await fetchFrom('sp-public', 'http://web.sp-internal.app.localspace:5000/'), 'ok 200 internal web.1 port=5000', 'reachable by name inside its space');
  assert.equal(await fetchFrom('sp-public', 'http://1.web.sp-internal.app.localspace:5000/'), 'ok 200 internal web.1 port=5000');
  assert.equal(await fetchFrom('sp-public', 'http://web.nothing.app.localspace:5000/'), 'error ENOTFOUND', 'unknown names are NXDOMAIN');
  const oneOff = await run(['run', '-a', 'sp-public', '--', 'node', '-e', '"fetch(\'http://web.sp-internal.app.localspace:5000/\').then((r) => r.text()).then((t) => console.log(Object.values(require(\'os\').networkInterfaces()).flat().find((i) => i.family === \'IPv4\' && !i.internal).address, t))"']);
  assert.equal(oneOff.code, 0, oneOff.stdout + oneOff.stderr);
  assert.match(oneOff.stdout, /^10\.213\.\d+\.\d+ internal web\.1 port=5000$/m, 'a one-off dyno runs on the space network too');
  const appInfo = await cli(s, ['apps:info', '-a', 'sp-internal']);
  assert.match(appInfo.stdout, /Web URL: {3}\(internal routing: http:\/\/web\.sp-internal\.app\.localspace:5000\/ inside the space\)\nSpace: {5}sp-alpha/);
  const info = await cli(s, ['spaces:info', A]);
  assert.match(info.stdout, /Outbound IPs: 10\.213\.255\.254 \(enabled\)/);
  assert.match(info.stdout, /web\.sp-internal\.app\.localspace 10\.213\./);
});

test('isolation: another space and the common runtime cannot reach space A, nor it them', { skip, timeout: 120_000 }, async () => {
  const [aIp] = await webIps(A);
  const [bIp] = await webIps(B);
  assert.ok(aIp?.startsWith('10.213.') && bIp?.startsWith('10.214.'));
  const common = (await viaRouterFrom(undefined, 'sp-common')).body;
  const commonPort = /port=(\d+)/.exec(common)?.[1];
  assert.ok(commonPort, common);
  // The same request works inside space A, so a failure below is the firewall, not the probe.
  assert.match(await fetchFrom('sp-public', `http://${aIp}:5000/`), /^ok 200/);
  assert.match(await fetchFrom('sp-other', `http://${aIp}:5000/`), /^error (ECONNREFUSED|EHOSTUNREACH|TimeoutError|ETIMEDOUT)/, 'space B → space A');
  assert.match(await fetchFrom('sp-public', `http://${bIp}:5000/`), /^error (ECONNREFUSED|EHOSTUNREACH|TimeoutError|ETIMEDOUT)/, 'space A → space B');
  assert.match(await fetchFrom('sp-other', 'http://web.sp-internal.app.localspace:5000/'), /^error ENOTFOUND/, 'space B cannot even resolve space A\'s names');
  assert.match(await fetchFrom('sp-common', `http://${aIp}:5000/`), /^error (ECONNREFUSED|EHOSTUNREACH|EPERM|TimeoutError|ETIMEDOUT)/, 'common runtime → space A');
  // Common-runtime dynos have namespaces of their own on the local agent's default network (port 5000).
  const commonIps = execFileSync('sh', ['-c', `for n in $(ip netns list | cut -d' ' -f1 | grep -E '^slipway-(${serverTag(s.dataDir)}|${agentTag(s.dataDir)})-n'); do ip -n $n -4 -o addr show dev eth0; done`], { encoding: 'utf8' })
    .split('\n').map((l) => /inet (\S+)\/32/.exec(l)?.[1]).filter((x): x is string => !!x);
  assert.ok(commonIps.length > 0, 'the common-runtime dyno has an address of its own');
  for (const ip of commonIps) assert.match(await fetchFrom('sp-public', `http://${ip}:5000/`), /^error (ECONNREFUSED|EHOSTUNREACH|TimeoutError)/, `space A → the default network (${ip})`);
  assert.match(await fetchFrom('sp-public', `http://10.213.0.1:${commonPort}/`), /^error (ECONNREFUSED|EHOSTUNREACH|TimeoutError)/, 'space A → the common-runtime dyno at a host address');
  assert.match(await fetchFrom('sp-public', `http://10.214.0.1:${commonPort}/`), /^error (ECONNREFUSED|EHOSTUNREACH|TimeoutError)/, 'space A → space B\'s gateway');
});

test('egress: nothing outside the space until allowed; then a host listener sees the one stable source address', { skip, timeout: 60_000 }, async () => {
  const seen: string[] = [];
  const listener = http.createServer((req, res) => { seen.push(req.socket.remoteAddress ?? ''); res.end(`from ${req.socket.remoteAddress}`); });
  await new Promise<void>((r) => listener.listen(0, '10.213.0.1', () => r()));
  const port = (listener.address() as { port: number }).port;
  try {
    assert.match(await fetchFrom('sp-public', `http://10.213.0.1:${port}/`), /^error (ECONNREFUSED|EHOSTUNREACH|TimeoutError)/, 'egress is closed by default');
    assert.equal(seen.length, 0);
    const add = await cli(s, ['spaces:egress:add', `10.213.0.1:${port}`, '-s', A]);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stdout, new RegExp(`10\\.213\\.0\\.1/32:${port}`));
    assert.equal(await fetchFrom('sp-public', `http://10.213.0.1:${port}/`), 'ok 200 from 10.213.255.254');
    // The internal app (asked through the public one) leaves from the same address: one per space.
    const viaInternal = `http://web.sp-internal.app.localspace:5000/fetch?url=${encodeURIComponent(`http://10.213.0.1:${port}/`)}`;
    assert.equal(await fetchFrom('sp-public', viaInternal), 'ok 200 ok 200 from 10.213.255.254');
    assert.equal(seen.length, 2);
    assert.deepEqual([...new Set(seen)], ['10.213.255.254']);
    assert.equal((await cli(s, ['spaces:egress:remove', `10.213.0.1:${port}`, '-s', A])).code, 0);
    assert.match(await fetchFrom('sp-public', `http://10.213.0.1:${port}/`), /^error/, 'closed again');
  } finally {
    listener.closeAllConnections();
    await new Promise<void>((r) => listener.close(() => r()));
  }
});

test('trusted IP ranges: a client outside gets 403, one inside passes; no ranges refuse everyone', { skip, timeout: 60_000 }, async () => {
  assert.equal((await viaRouterFrom('tsw-out', 'sp-public')).status, 200, 'default 0.0.0.0/0');
  assert.equal((await cli(s, ['spaces:trusted-ips:add', '10.219.0.8/29', '-s', A])).code, 0);
  const rm = await cli(s, ['spaces:trusted-ips:remove', '0.0.0.0/0', '-s', A]);
  assert.equal(rm.code, 0, rm.stderr);
  assert.match(rm.stdout, /Trusted IP ranges of sp-alpha:\n {2}10\.219\.0\.8\/29\n?$/);
  const inside = await viaRouterFrom('tsw-in', 'sp-public');
  assert.deepEqual([inside.status, inside.body], [200, 'public web.1 port=5000\n']);
  const outside = await viaRouterFrom('tsw-out', 'sp-public');
  assert.equal(outside.status, 403);
  assert.match(outside.body, /trusted IP ranges/);
  assert.equal((await viaRouterFrom('tsw-out', 'sp-other')).status, 200, 'space B keeps its own ranges');
  assert.equal(await upgradeStatus('sp-public'), 403, 'WebSocket upgrades are checked too (the host is 10.219.0.1, outside)');
  assert.equal((await cli(s, ['spaces:trusted-ips:remove', '10.219.0.8/29', '-s', A])).code, 0);
  assert.equal((await viaRouterFrom('tsw-in', 'sp-public')).status, 403, 'an empty set refuses all web traffic');
  assert.equal((await cli(s, ['spaces:trusted-ips:remove', '10.1.0.0/16', '-s', A])).code, 2);
  assert.equal((await cli(s, ['spaces:trusted-ips:add', '0.0.0.0/0', '-s', A])).code, 0);
  assert.equal((await viaRouterFrom('tsw-out', 'sp-public')).status, 200);
});

test('CI in a space: the test run reaches the internal app only when the pipeline runs CI inside the space', { skip, timeout: 240_000 }, async () => {
  assert.equal((await run(['pipelines:create', 'sp-pipe'])).code, 0);
  const outside = await run(['ci:run', '-p', 'sp-pipe']);
  assert.equal(outside.code, 1, outside.stdout + outside.stderr);
  assert.match(outside.stdout, /not ok 1 - could not reach http:\/\/web\.sp-internal\.app\.localspace:5000\/: ENOTFOUND/);
  const up = await run(['pipelines:update', '-p', 'sp-pipe', '--ci-space', A]);
  assert.equal(up.code, 0, up.stderr);
  const inside = await run(['ci:run', '-p', 'sp-pipe']);
  assert.equal(inside.code, 0, inside.stdout + inside.stderr);
  assert.match(inside.stdout, /Running inside the private space's network \(10\.213\./);
  assert.match(inside.stdout, /ok 1 - reached http:\/\/web\.sp-internal\.app\.localspace:5000\/: 200 internal web\.1 port=5000/);
  assert.equal((await run(['pipelines:update', '-p', 'sp-pipe', '--ci-space', 'no-such-space'])).code, 2);
});

test('a restart restores the space networks; a crash of the server or of its agent adopts them; destroy is refused while apps remain, then leaves nothing behind', { skip, timeout: 300_000 }, async () => {
  await s.stop();
  assertNothingLeft(false, 'a stopped server leaves no namespaces, links or rules');
  s = await startServer({ SLIPWAY_ROUTER_HOST: ROUTER_HOST, SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' }, s.dataDir);
  await waitFor('sp-public to serve again', async () => (await viaRouterFrom(undefined, 'sp-public')).status === 200, 60_000);
  const byName = async (what: string) => assert.equal(await waitFor(what, async () => { const r = await fetchFrom('sp-public', 'http://web.sp-internal.app.localspace:5000/'); return r.startsWith('ok') && r; }, 60_000), 'ok 200 internal web.1 port=5000');
  await byName('sp-internal by name again');
  // sp-other (space B) is back too before it is asked to reach into space A (else the router answers that it has no dyno yet).
  await waitFor('sp-other to serve again', async () => (await viaRouterFrom(undefined, 'sp-other')).status === 200, 60_000);
  assert.match(await fetchFrom('sp-other', `http://${(await webIps(A))[0]}:5000/`), /^error/, 'isolation is back too');

  // The spaces are the local agent process's: a crash (SIGKILL) of the server leaves them as they are, and the restarted server adopts them.
  const live = slipwayLeftovers({ spacesOnly: true, tag: agentTag(s.dataDir) });
  assert.equal(live.links.filter((l) => l.startsWith('slw')).length, 2, 'one bridge per space');
  assert.equal(live.tables.length, 1);
  // (The same ports: the restarted server adopts the companions it finds for them.)
  const samePorts = { PORT: new URL(s.url).port, SLIPWAY_ROUTER_PORT: String(s.routerPort) };
  await s.kill();
  s = await startServer({ SLIPWAY_ROUTER_HOST: ROUTER_HOST, SLIPWAY_BOOT_TIMEOUT_SECONDS: '30', ...samePorts }, s.dataDir);
  await waitFor('sp-public to serve after the crash', async () => (await viaRouterFrom(undefined, 'sp-public')).status === 200, 60_000);
  assert.deepEqual(slipwayLeftovers({ spacesOnly: true, tag: agentTag(s.dataDir) }), live, 'the same bridges, dyno namespaces and firewall table: adopted, not rebuilt');
  assert.deepEqual(slipwayLeftovers({ spacesOnly: true, tag: serverTag(s.dataDir) }), { netns: [], links: [], tables: [] }, 'the server itself holds nothing of the spaces');

  // The agent killed as well: its dynos outlive it (as containers outlive a killed kubelet), and its
  // next process adopts them with their namespaces and veths, and the spaces' bridges and table.
  const running = await spaceAppDynos();
  assert.deepEqual(running.markers, running.rows, 'one process tree per desired dyno before the kill');
  const [agentPid] = companions(s.dataDir)['agent'] ?? [];
  assert.ok(agentPid);
  await s.kill();
  process.kill(agentPid, 'SIGKILL');
  s = await startServer({ SLIPWAY_ROUTER_HOST: ROUTER_HOST, SLIPWAY_BOOT_TIMEOUT_SECONDS: '30', ...samePorts }, s.dataDir);
  await waitFor('sp-public to serve after the agent\'s crash', async () => (await viaRouterFrom(undefined, 'sp-public')).status === 200, 90_000);
  await byName('sp-internal by name after the agent\'s crash');
  const adopted = slipwayLeftovers({ spacesOnly: true, tag: agentTag(s.dataDir) });
  assert.deepEqual(adopted.links.filter((l) => l.startsWith('slw')), live.links.filter((l) => l.startsWith('slw')), 'the same bridges, no duplicates');
  assert.deepEqual(adopted.netns, live.netns, 'the same dyno namespaces: adopted, none added, none lost');
  assert.deepEqual(adopted.links, live.links, 'and the same veths');
  assert.equal(adopted.tables.length, 1);
  const after = await spaceAppDynos();
  assert.deepEqual(after.rows, running.rows, 'the same desired dynos');
  assert.deepEqual(after.markers, after.rows, 'each desired dyno runs once, nothing besides them');
  assert.deepEqual(after.pids, running.pids, 'the very same processes: adopted, not started again');

  const refused = await cli(s, ['spaces:destroy', A, '--confirm', A]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /still has 2 app\(s\): sp-internal, sp-public.*\(space_not_empty\)/);
  for (const app of ['sp-public', 'sp-internal', 'sp-other', 'sp-common']) assert.equal((await cli(s, ['apps:destroy', '-a', app, '--confirm', app])).code, 0);
  for (const space of [A, B]) {
    const d = await cli(s, ['spaces:destroy', space, '--confirm', space]);
    assert.equal(d.code, 0, d.stderr);
  }
  // The server and its agent still run their default networks (the common runtime); nothing of the spaces is left.
  assertNothingLeft(true, 'after spaces:destroy nothing of Slipway\'s is left');
  assert.match((await cli(s, ['spaces'])).stdout, /No spaces yet/);
  await s.stop();
  assertNothingLeft();
  assert.ok(fs.existsSync(path.join(s.dataDir)));
});
