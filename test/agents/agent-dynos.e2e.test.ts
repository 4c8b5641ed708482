// Remote agents run dynos: two agents on simulated hosts (network namespaces on one bridge), the
// server on the host with no execution of its own, Postgres as the store. web=2 runs one dyno per
// agent, both served through the server's router; a config change swaps them with no failed
// request; an agent SIGKILLed → its dyno is started on the other agent and served within the
// bound. Attacks: an agent reads and reports only its own dynos; another host's tenant cannot
// reach a dyno through the agent's port, only the router can.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServer, cli, api, viaRouter, BIN, TOKEN, type TestServer } from '../helpers/server.js';
import { exampleRepo, repoWithBuildpack } from '../helpers/apps.js';
import { latestRun, nodesOf, waitFor, waitForStatus } from '../helpers/runs.js';
import { simulatedHosts, startAgent, type AgentProcess } from '../helpers/agent-hosts.js';
import { startPostgres, freshDatabase, type PgCluster } from '../helpers/postgres.js';
import { steadyLoad } from '../helpers/load.js';
import { needs } from '../helpers/tools.js';
import { openStore, type Store } from '../../src/store/db.js';

const skip = needs('spaces', 'postgres');
const LOST_S = 5;
/** Lost after LOST_S, the server's sweep (2 s), slug download + unpack + boot on the other agent, and a margin for a loaded CPU. */
const FAILOVER_BOUND_MS = (LOST_S + 2 + 15) * 1000;
const A = 'spread';
let s: TestServer;
let cluster: PgCluster;
let store: Store;
let net: ReturnType<typeof simulatedHosts>;
let serverUrl: string;
const agents: AgentProcess[] = [];
const tokens: string[] = [];

before(async () => {
  if (skip) return;
  net = simulatedHosts(2, 4);
  cluster = await startPostgres();
  const databaseUrl = await freshDatabase(cluster, 'agentdynos');
  s = await startServer({ DATABASE_URL: databaseUrl, SLIPWAY_HOST: '0.0.0.0', SLIPWAY_EMBEDDED_RUNNER: 'off', SLIPWAY_AGENT_LOST_SECONDS: String(LOST_S), SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  store = await openStore({ databaseUrl, dataDir: s.dataDir });
  serverUrl = `http://${net.serverIp}:${new URL(s.url).port}`;
  for (const [i, h] of net.hosts.entries()) {
    const created = await cli(s, ['agents:create', `host-${i + 1}`]);
    assert.equal(created.code, 0, created.stderr);
    tokens.push(/(slpa_[\w-]+)/.exec(created.stdout)![1]!);
    agents.push(startAgent(h, serverUrl, tokens[i]!, { slots: 1 }));
  }
  await waitFor('both agents online', async () => (await api<Array<{ name: string; state: string }>>(s, 'GET', '/agents')).json.filter((a) => a.state === 'online').length === 2, 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${agents.map((a) => a.output()).join('\n---\n')}`); });
});

after(async () => {
  const steps = [...agents.map((a) => async () => { await a.stop(); fs.rmSync(a.dataDir, { recursive: true, force: true }); }), async () => store?.close(), async () => s?.stop(), async () => cluster?.stop(), async () => net?.close()];
  const failed: string[] = [];
  for (const step of steps) await step().catch((e: Error) => failed.push(e.message));
  assert.deepEqual(failed, [], 'everything cleaned up');
});

const outputs = () => `${s.output().slice(-4000)}\n${agents.map((a) => `--- ${a.host.ns}\n${a.output().slice(-4000)}`).join('\n')}`;
/** `web.1@host-1` for each desired dyno of the app. */
const placement = async () => (await store.db.selectFrom('desired_dynos as d').innerJoin('agents as g', 'g.id', 'd.agent_id').innerJoin('apps as a', 'a.id', 'd.app_id')
  .select(['d.name', 'g.name as agent']).where('a.name', '=', A).orderBy('d.name').execute()).map((r) => `${r.name}@${r.agent}`);
const observed = async () => store.db.selectFrom('observed_dynos as o').innerJoin('agents as g', 'g.id', 'o.agent_id').innerJoin('apps as a', 'a.id', 'o.app_id')
  .select(['o.dyno_id', 'o.name', 'o.state', 'o.host', 'o.port', 'g.name as agent', 'g.id as agent_id']).where('a.name', '=', A).orderBy('o.name').execute();
/** Wait until every dyno name in `names` answered through the router (by its DYNO). */
const answering = async (names: string[], ms: number) => {
  const seen = new Set<string>();
  await waitFor(`${names.join(' and ')} answering through the router`, async () => {
    const r = await viaRouter(s, A).catch(() => ({ status: 0, body: '' }));
    if (r.status === 200) seen.add(/from (\S+)/.exec(r.body)?.[1] ?? '');
    return names.every((n) => seen.has(n));
  }, ms).catch((e: Error) => { throw new Error(`${e.message} (seen: ${[...seen].join(', ')})\n${outputs()}`); });
};
const agentCall = (token: string, method: string, p: string, body?: unknown) => fetch(serverUrl.replace(net.serverIp, '127.0.0.1') + p, {
  method, headers: { authorization: `Bearer ${token}`, 'x-slipway-agent-instance': 'attacker', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined,
});

test('web=2 over two remote agents: one dyno on each, both served through the server\'s router', { skip, timeout: 300_000 }, async () => {
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: exampleRepo('web-app'), timeoutMs: 240_000 });
  assert.equal(b.code, 0, `${b.stdout}${b.stderr}\n${outputs()}`);
  assert.equal((await cli(s, ['ps:scale', 'web=2', '-a', A])).code, 0);
  assert.deepEqual((await placement()).map((p) => p.split('@')[1]).sort(), ['host-1', 'host-2'], `one dyno per agent: ${(await placement()).join(', ')}`);
  await answering(['web.1', 'web.2'], 90_000);
  const obs = await observed();
  assert.deepEqual(obs.map((o) => `${o.name}:${o.state}`), ['web.1:up', 'web.2:up']);
  for (const o of obs) assert.equal(o.host, net.hosts[Number(o.agent.split('-')[1]) - 1]!.address, `${o.name} is reached at its agent's address`);
});

test('a config change on agents swaps both dynos with no failed request', { skip, timeout: 240_000 }, async () => {
  const load = steadyLoad(s, A, (r) => r.status === 200, { intervalMs: 20, maxMs: 180_000 });
  assert.equal((await cli(s, ['config:set', 'GREETING=bonjour', '-a', A])).code, 0);
  await waitFor('both new dynos answering', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) { const r = await viaRouter(s, A); if (r.body.startsWith('bonjour')) seen.add(/from (\S+)/.exec(r.body)![1]!); else return false; }
    return seen.size === 2;
  }, 120_000);
  await new Promise((r) => setTimeout(r, 3000)); // the old dynos drain and stop meanwhile
  const { failures, served } = await load.stop();
  console.log(`# deploy on agents: ${served} requests served, ${failures} failed`);
  assert.equal(failures, 0, outputs());
  assert.ok(served > 50);
});

test('an agent reads and reports its own dynos only, at its own address', { skip, timeout: 60_000 }, async () => {
  const obs = await observed();
  const [mine, theirs] = [obs.find((o) => o.agent === 'host-1')!, obs.find((o) => o.agent === 'host-2')!];
  const desired = await agentCall(tokens[0]!, 'GET', '/agent/v1/dynos');
  assert.equal(desired.status, 200);
  const list = (await desired.json() as { dynos: Array<{ id: string; env: Record<string, string> }> }).dynos;
  assert.deepEqual(list.map((d) => d.id), [mine.dyno_id], 'host-1 sees its own dyno, not host-2\'s (nor its env)');
  // host-1 reports host-2's dyno (at host-1's address): ignored, host-2's row and the router unchanged.
  const forged = await agentCall(tokens[0]!, 'PUT', '/agent/v1/dynos/observed', { dynos: [
    { id: mine.dyno_id, appId: 'x', releaseId: 'x', type: 'web', name: 'web.9', state: 'up', host: mine.host, port: mine.port, restarts: 0, changedAt: new Date().toISOString() },
    { id: theirs.dyno_id, appId: 'x', releaseId: 'x', type: 'web', name: theirs.name, state: 'up', host: mine.host, port: mine.port, restarts: 0, changedAt: new Date().toISOString() },
  ] });
  assert.equal(forged.status, 200);
  assert.deepEqual((await forged.json() as { ignored: string[] }).ignored, [theirs.dyno_id]);
  const after = await observed();
  assert.deepEqual(after.filter((o) => o.dyno_id === theirs.dyno_id).map((o) => `${o.agent} ${o.host}:${o.port}`), [`host-2 ${theirs.host}:${theirs.port}`], 'host-2\'s dyno is still host-2\'s only');
  assert.equal(after.find((o) => o.dyno_id === mine.dyno_id)?.name, mine.name, 'a dyno\'s name comes from the store, not the report');
  // An address other than the one it registered (the other agent's): refused (a loopback one: the next test).
  const elsewhere = await agentCall(tokens[0]!, 'PUT', '/agent/v1/dynos/observed', { dynos: [{ id: mine.dyno_id, appId: 'x', releaseId: 'x', type: 'web', name: 'web.1', state: 'up', host: theirs.host, port: theirs.port, restarts: 0, changedAt: new Date().toISOString() }] });
  assert.equal(elsewhere.status, 422);
  assert.equal((await elsewhere.json() as { id: string }).id, 'agent_dyno_address');
  // An API token is not an agent token.
  assert.equal((await agentCall(TOKEN, 'GET', '/agent/v1/dynos')).status, 401);
});

test('an agent cannot point the router at the server\'s own host: a dyno reported at a loopback address, an address of the server\'s interfaces or a host name is refused, even at the address it registered, and the router never forwards there', { skip, timeout: 120_000 }, async () => {
  // A service of the server's host, on loopback only: what such a report would open to the router's clients.
  let hits = 0;
  const hostService = http.createServer((_req, res) => { hits++; res.end('a service of the server\'s host\n'); });
  // Every address of the host: its loopback, its bridge to the agents, its own interfaces.
  await new Promise<void>((r) => hostService.listen(0, '0.0.0.0', () => r()));
  const port = (hostService.address() as AddressInfo).port;
  const mine = (await observed()).find((o) => o.agent === 'host-1')!;
  const register = (address: string) => agentCall(tokens[0]!, 'POST', '/agent/v1/register', { protocol_version: 1, hostname: 'host-1', address, slots: 1, memory_mb: null });
  const report = (host: string) => agentCall(tokens[0]!, 'PUT', '/agent/v1/dynos/observed', { dynos: [
    { id: mine.dyno_id, appId: 'x', releaseId: 'x', type: 'web', name: mine.name, state: 'up', host, port, restarts: 0, changedAt: new Date().toISOString() },
  ] });
  const refused = async (r: Response, what: string) => {
    assert.equal(r.status, 422, what);
    const body = await r.json() as { id: string; message: string };
    assert.equal(body.id, 'agent_dyno_loopback', `${what}: ${body.message}`);
    assert.match(body.message, new RegExp(`Agent host-1 reports ${mine.name} at [^ ]+:${port}, an address of the server's own host to the router; only the server's local agent may report one\\. Start the agent with --advertise ADDR`));
  };
  // The server host's own non-loopback addresses: its side of the agents' bridge, and its other interfaces.
  const hostAddresses = [net.serverIp, ...Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address))];
  try {
    // (Another test's server may remove an interface of its own meanwhile: an address gone is no longer the host's.)
    const present = (a: string) => Object.values(os.networkInterfaces()).some((l) => (l ?? []).some((x) => x.address === a));
    for (const host of ['127.0.0.1', '127.9.9.9', '::1', '0.0.0.0', 'localhost', ...new Set(hostAddresses)]) {
      const r = await report(host);
      if (hostAddresses.includes(host) && host !== net.serverIp && !present(host)) continue;
      await refused(r, `a report at ${host}`);
    }
    // A new process of the agent may register a loopback address (a CI-only agent on the server's host
    // connects from there), but its dynos are still never reported there.
    assert.equal((await register('127.0.0.1')).status, 200);
    await refused(await report('127.0.0.1'), 'a report at the loopback address it registered');
    assert.equal((await register(net.serverIp)).status, 200);
    await refused(await report(net.serverIp), 'a report at the server host\'s bridge address it registered');
    // A name is refused, whatever it resolves to now (the host's own name resolves to loopback here; any name could later).
    for (const name of [os.hostname(), 'example.com']) {
      const r = await report(name);
      assert.equal(r.status, 422, `a report at ${name}`);
      const body = await r.json() as { id: string; message: string };
      assert.equal(body.id, 'agent_dyno_address', body.message);
      assert.match(body.message, new RegExp(`reports ${mine.name} at ${name.replace(/\./g, '\\.')}, a host name; the router reaches a remote agent's dynos at an IP address only`));
      const named = await register(name);
      assert.equal(named.status, 422, `registering at ${name}`);
      assert.match((await named.json() as { message: string }).message, /address.*must be an IP address: the router reaches the agent's dynos there \(start the agent with --advertise IP\)/);
    }
    // Nor at an address no dyno is at on any host: the cloud's metadata service (link-local), multicast, broadcast.
    for (const address of ['169.254.169.254', 'fe80::1', '239.1.2.3', '255.255.255.255']) {
      const r = await register(address);
      assert.equal(r.status, 422, `registering at ${address}`);
      assert.match((await r.json() as { message: string }).message, /address.*must be an address of the agent's host: a link-local \(the cloud's metadata service\), multicast or broadcast address is never one/);
    }
    // Routing is unchanged: the router sends the app's requests to the real dynos, never to the host's service.
    const row = (await observed()).find((o) => o.dyno_id === mine.dyno_id)!;
    assert.equal(`${row.host}:${row.port}`, `${mine.host}:${mine.port}`, 'the dyno\'s route is the one its agent reported before');
    for (let i = 0; i < 10; i++) {
      const r = await viaRouter(s, A).catch(() => ({ status: 0, body: '' }));
      assert.doesNotMatch(r.body, /a service of the server's host/);
    }
    assert.equal(hits, 0, 'nothing reached the server host\'s loopback service');
  } finally {
    // The agent's real address again, as its process registered it.
    assert.equal((await register(mine.host)).status, 200);
    hostService.close();
  }
  await answering(['web.1', 'web.2'], 60_000);
});

test('a router on another host than the server, and a replica on another host, never forward to their own host\'s addresses on an agent\'s word', { skip, timeout: 120_000 }, async () => {
  // The attacker holds host-1's agent token. It registers at host-2's address, which is not the
  // server's (so the server takes the report), and reports its dyno at a service of host-2's own.
  const victimHost = net.hosts[1]!;
  const mine = (await observed()).find((o) => o.agent === 'host-1');
  assert.ok(mine, 'host-1 runs a dyno of the app');
  const SERVICE_PORT = 18099;
  const ROUTER_PORT = 18080;
  const inHost2 = (args: string[], env: Record<string, string> = {}) => spawn('nsenter', [`--net=/run/netns/${victimHost.ns}`, process.execPath, ...args], {
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const service = inHost2(['-e', `require('node:http').createServer((q, r) => { console.log('hit'); r.end('a service of host-2\\n'); }).listen(${SERVICE_PORT}, '0.0.0.0', () => console.log('listening'))`]);
  let serviceOut = '';
  service.stdout!.on('data', (c) => { serviceOut += c; });
  const created = await cli(s, ['routers:create', 'edge-host-2']);
  assert.equal(created.code, 0, created.stderr);
  const routerToken = /(slpr_[\w-]+)/.exec(created.stdout)![1]!;
  const router = inHost2([BIN, 'router', '--server', serverUrl, '--token', routerToken, '--port', String(ROUTER_PORT)], { SLIPWAY_ROUTER_HOST: '0.0.0.0', SLIPWAY_ROUTER: 'node' });
  let routerOut = '';
  router.stdout!.on('data', (c) => { routerOut += c; });
  router.stderr!.on('data', (c) => { routerOut += c; });
  const register = (address: string) => agentCall(tokens[0]!, 'POST', '/agent/v1/register', { protocol_version: 1, hostname: 'host-1', address, slots: 1, memory_mb: null });
  const report = (host: string, port: number) => agentCall(tokens[0]!, 'PUT', '/agent/v1/dynos/observed', { dynos: [
    { id: mine.dyno_id, appId: 'x', releaseId: 'x', type: 'web', name: mine.name, state: 'up', host, port, restarts: 0, changedAt: new Date().toISOString() },
  ] });
  const viaRemoteRouter = () => new Promise<{ status: number; body: string }>((resolve) => {
    const req = http.request({ host: victimHost.address, port: ROUTER_PORT, path: '/', headers: { host: `${A}.localhost` }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    req.end();
  });
  try {
    await waitFor('host-2\'s service and router listening', async () => /listening/.test(serviceOut) && (await viaRemoteRouter()).status !== 0, 30_000)
      .catch((e: Error) => { throw new Error(`${e.message}\n${routerOut}`); });
    assert.equal((await register(victimHost.address)).status, 200, 'the server takes an address that is not its own');
    const r = await report(victimHost.address, SERVICE_PORT);
    assert.equal(r.status, 200, await r.text());
    // The remote router is sent the dyno at host-2's address, and leaves it out.
    await waitFor('the router on host-2 to leave the dyno out', async () => routerOut.includes(`dyno ${mine.name} (${mine.dyno_id}) is reported at ${victimHost.address}:${SERVICE_PORT}, an address of this router's host; it is not routed`), 30_000)
      .catch((e: Error) => { throw new Error(`${e.message}\n${routerOut}`); });
    for (let i = 0; i < 20; i++) assert.doesNotMatch((await viaRemoteRouter()).body, /a service of host-2/);
    assert.equal(serviceOut.match(/hit/g)?.length ?? 0, 0, 'the router on host-2 never reached host-2\'s own service');

    // A replica on another host took a report at this server host's address (its check is against its
    // own host): the row is what that replica writes. This server's router leaves it out all the same.
    let hits = 0;
    const hostService = http.createServer((_q, res) => { hits++; res.end('a service of the server\'s host\n'); });
    await new Promise<void>((done) => hostService.listen(0, '0.0.0.0', () => done()));
    const port = (hostService.address() as AddressInfo).port;
    try {
      await store.db.updateTable('observed_dynos').set({ host: net.serverIp, port }).where('dyno_id', '=', mine.dyno_id).execute();
      await waitFor('the server to leave the dyno out', async () => s.output().includes(`dyno ${mine.name} (${mine.dyno_id}) is reported at ${net.serverIp}:${port}, an address of this server's host; it is not routed`), 30_000)
        .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
      for (let i = 0; i < 20; i++) assert.doesNotMatch((await viaRouter(s, A).catch(() => ({ status: 0, body: '' }))).body, /a service of the server's host/);
      assert.equal(hits, 0, 'the server\'s router never reached its own host\'s service');
    } finally { hostService.close(); }
  } finally {
    assert.equal((await register(mine.host)).status, 200);
    router.kill('SIGTERM');
    service.kill('SIGKILL');
    await Promise.all([router, service].map((p) => (p.exitCode === null && p.signalCode === null ? new Promise((r) => p.once('exit', r)) : undefined)));
  }
  await answering(['web.1', 'web.2'], 60_000);
});

test('a tenant on another agent cannot reach a dyno through its agent\'s port; only the router can', { skip, timeout: 240_000 }, async () => {
  const obs = await observed();
  const targets = obs.map((o) => `${o.host}:${o.port}`);
  assert.equal((await cli(s, ['pipelines:create', 'probe'])).code, 0);
  // A CI test node (a tenant's code) tries every dyno port directly; whichever agent it runs on, the other agent's dyno is on another host.
  const probe = targets.map((t, i) => `r=$(timeout 5 bash -c 'exec 3<>/dev/tcp/${t.replace(':', '/')} && printf "GET / HTTP/1.0\\r\\nHost: ${A}.localhost\\r\\n\\r\\n" >&3 && cat <&3' 2>&1); case "$r" in *"running code"*) echo "not ok ${i + 1} - reached ${t}";; *) echo "ok ${i + 1} - ${t} refused";; esac`).join('\n');
  const dir = repoWithBuildpack({ environments: { test: { scripts: { test: `echo 1..${targets.length}\n${probe}` } } } }, 'echo compiled');
  await new Promise<number | null>((resolve) => {
    const p = spawn(process.execPath, [BIN, 'ci:run', '-p', 'probe'], { cwd: dir, stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_URL: s.url, SLIPWAY_TOKEN: TOKEN, SLIPWAY_CONFIG_DIR: dir + '/.no-login' } });
    p.once('exit', (code) => resolve(code));
  });
  const run = await waitForStatus(s, (await latestRun(s, 'probe')).id, ['succeeded', 'failed', 'errored'], 120_000);
  const node = (await nodesOf(s, run.id))[0]!;
  const out = await (await fetch(node.output_stream_url)).text();
  const setup = await (await fetch(node.setup_stream_url)).text();
  assert.equal(run.status, 'succeeded', `${out}\n${outputs()}`);
  const ranOn = /Running on agent (host-\d)/.exec(setup)![1]!;
  const other = agents[ranOn === 'host-1' ? 1 : 0]!;
  const from = net.hosts[ranOn === 'host-1' ? 0 : 1]!.address;
  assert.match(other.output(), new RegExp(`refused a connection to dyno \\S+ from ${from.replace(/\./g, '\\.')}`), 'the other agent turned the tenant away (it did reach the port)');
  // The router (from the server's address) still gets through to both.
  await answering(['web.1', 'web.2'], 30_000);
});

test('an agent SIGKILLed: its dyno is started on the other agent and served again within the bound', { skip, timeout: 240_000 }, async () => {
  const obs = await observed();
  const victimName = obs[0]!.agent;
  const victim = agents[Number(victimName.split('-')[1]) - 1]!;
  const survivor = victimName === 'host-1' ? 'host-2' : 'host-1';
  const load = steadyLoad(s, A, (r) => r.status === 200, { intervalMs: 50, maxMs: 120_000 });
  const killedAt = Date.now();
  await victim.kill();
  const i = agents.indexOf(victim);
  try {
    await waitFor(`both dynos on ${survivor}`, async () => (await placement()).every((p) => p.endsWith(`@${survivor}`)), FAILOVER_BOUND_MS + 10_000);
    const movedMs = Date.now() - killedAt;
    // (The killed agent's last report stays in the store; the router ignores it once the agent is lost.)
    await waitFor('both dynos up on the survivor', async () => (await observed()).filter((d) => d.agent === survivor && d.state === 'up').length === 2, FAILOVER_BOUND_MS + 10_000)
      .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
    await answering(['web.1', 'web.2'], 30_000);
    const servedMs = Date.now() - killedAt;
    const { failures, served } = await load.stop();
    console.log(`# agent SIGKILLed: dyno placed on ${survivor} after ${movedMs} ms, both dynos served from it after ${servedMs} ms (lost after ${LOST_S} s, bound ${FAILOVER_BOUND_MS} ms); meanwhile ${served} served, ${failures} failed`);
    assert.ok(servedMs <= FAILOVER_BOUND_MS, `served again after ${servedMs} ms (bound ${FAILOVER_BOUND_MS} ms)`);
  } finally {
    // The killed agent comes back on its data folder: its dyno outlived the kill, and is adopted.
    agents[i] = startAgent(victim.host, serverUrl, tokens[i]!, { slots: 1, dataDir: victim.dataDir });
    await waitFor('the restarted agent to register', async () => agents[i]!.output().includes('registered with'), 60_000);
  }
  await waitFor('the restarted agent to adopt the dyno the kill left running', async () => /adopted 1 of 1 dyno\(s\) an earlier process of this agent left running/.test(agents[i]!.output()), 30_000);
  // Its desired state no longer has that dyno (it moved to the other agent): it is stopped, and its record goes with it.
  const records = path.join(victim.dataDir, 'dynos');
  await waitFor('the adopted dyno, no longer desired there, to be stopped', async () => fs.readdirSync(records).every((f) => !f.endsWith('.json')), 60_000);
});
