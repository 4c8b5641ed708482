// A private space spans hosts: three simulated hosts (network namespaces on one bridge), two agents
// allowed to run spaces (`agents:create --spaces`) and a plain one. A space app at web=2 runs one
// dyno on each spaces host; each reaches the other across the VXLAN overlay by its space address
// and by its name in the space's DNS; a default-network app's dynos (the attackers, one on every
// host) reach neither, and their forged VXLAN packets (the space's VNI, an inner frame to a
// space dyno) inject nothing; the plain agent gets no space dyno and no spaces' plan; nothing of the
// overlay is left on the hosts afterwards.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { startServer, cli, viaRouter, type TestServer } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { simulatedHosts, startAgent, type AgentProcess } from '../helpers/agent-hosts.js';
import { needs } from '../helpers/tools.js';
import { openStore, type Store } from '../../src/store/db.js';
import { vtepMac, VXLAN_PORT } from '../../src/spaces/space-overlay.js';
import { networkTag } from '../../src/spaces/space-network.js';

const skip = needs('spaces');
const SPACE = 'fleet';
const CIDR = '10.177.0.0/16';
/** The space's VNI: the top 16 bits of its /16 (10.177). */
const VNI = (10 << 8) + 177;
let s: TestServer;
let store: Store;
let net: ReturnType<typeof simulatedHosts>;
const agents: AgentProcess[] = [];
const tokens: string[] = [];

before(async () => {
  if (skip) return;
  net = simulatedHosts(3, 6);
  s = await startServer({ SLIPWAY_HOST: '0.0.0.0', SLIPWAY_EMBEDDED_RUNNER: 'off', SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  store = await openStore({ dataDir: s.dataDir });
  const serverUrl = `http://${net.serverIp}:${new URL(s.url).port}`;
  for (const [i, h] of net.hosts.entries()) {
    // host-1 and host-2 may run private spaces; host-3 is a plain agent.
    const created = await cli(s, ['agents:create', `host-${i + 1}`, ...(i < 2 ? ['--spaces'] : [])]);
    assert.equal(created.code, 0, created.stderr);
    tokens.push(/(slpa_[\w-]+)/.exec(created.stdout)![1]!);
    agents.push(startAgent(h, serverUrl, tokens[i]!, { slots: 1 }));
  }
  await waitFor('three agents registered', async () => agents.every((a) => a.output().includes('registered with')), 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  const created = await cli(s, ['spaces:create', SPACE, '--cidr', CIDR]);
  assert.equal(created.code, 0, created.stderr);
  // One app for every role (examples/space-app: /fetch from inside, /udp counts forged datagrams, /forge sends them); no release phase.
  const repo = exampleRepo('space-app', (dir) => fs.writeFileSync(path.join(dir, 'Procfile'), 'web: node server.js\n'));
  for (const [app, flags] of [['span-app', ['--space', SPACE]], ['plain-app', []]] as const) {
    const made = await cli(s, ['apps:create', app, ...flags]);
    assert.equal(made.code, 0, made.stderr);
    const b = await cli(s, ['builds:create', '-a', app], { cwd: repo, timeoutMs: 240_000 });
    assert.equal(b.code, 0, `${b.stdout}${b.stderr}\n${outputs()}`);
  }
  assert.equal((await cli(s, ['ps:scale', 'web=2', '-a', 'span-app'])).code, 0);
  assert.equal((await cli(s, ['ps:scale', 'web=3', '-a', 'plain-app'])).code, 0);
});

after(async () => {
  const steps = [
    ...agents.map((a) => async () => { await a.stop(); }),
    // Nothing of the spaces is left on the hosts once their agents stopped: no dyno namespace, VXLAN device, bridge or firewall table.
    async () => {
      const netns = execFileSync('ip', ['netns', 'list']).toString();
      for (const a of agents) assert.doesNotMatch(netns, new RegExp(`slipway-${networkTag(a.dataDir)}-`), `${a.host.ns}: dyno namespaces left`);
      for (const h of net?.hosts ?? []) {
        const links = execFileSync('ip', ['-n', h.ns, '-o', 'link', 'show']).toString();
        assert.doesNotMatch(links, /: sl[wxvn][0-9a-f]{4}/, `${h.ns}: links left: ${links}`);
        assert.doesNotMatch(execFileSync('ip', ['netns', 'exec', h.ns, 'nft', 'list', 'tables']).toString(), /slipway/, `${h.ns}: a firewall table left`);
      }
    },
    async () => { for (const a of agents) fs.rmSync(a.dataDir, { recursive: true, force: true }); },
    async () => store?.close(), async () => s?.stop(), async () => net?.close(),
  ];
  const failed: string[] = [];
  for (const step of steps) await step().catch((e: Error) => failed.push(e.message));
  assert.deepEqual(failed, [], 'everything cleaned up');
});

const outputs = () => `${s?.output().slice(-3000)}\n${agents.map((a) => `--- ${a.host.ns}\n${a.output().slice(-3000)}`).join('\n')}`;

/** The app's dynos as the agents report them: name, agent, state, space address. */
const observed = async (app: string) => store.db.selectFrom('observed_dynos as o').innerJoin('agents as g', 'g.id', 'o.agent_id').innerJoin('apps as a', 'a.id', 'o.app_id')
  .select(['o.dyno_id', 'o.name', 'o.state', 'o.host', 'o.port', 'o.space_address', 'g.name as agent']).where('a.name', '=', app).orderBy('o.name').execute();
const desiredOn = async (app: string) => (await store.db.selectFrom('desired_dynos as d').innerJoin('agents as g', 'g.id', 'd.agent_id').innerJoin('apps as a', 'a.id', 'd.app_id')
  .select(['d.name', 'g.name as agent']).where('a.name', '=', app).orderBy('d.name').execute()).map((r) => `${r.name}@${r.agent}`);

/** Ask the app's dynos through the router until each `who` (a DYNO, named in X-Dyno) answered `path`; their answers. */
async function fromEach(app: string, who: string[], p: string): Promise<Map<string, string>> {
  const got = new Map<string, string>();
  await waitFor(`${who.join(', ')} of ${app} answering ${p}`, async () => {
    const r = await viaRouter(s, app, p).catch(() => ({ status: 0, body: '', headers: {} as Record<string, string | string[] | undefined> }));
    const dyno = r.headers['x-dyno'];
    if (r.status === 200 && typeof dyno === 'string' && who.includes(dyno)) got.set(dyno, r.body.trim());
    return who.every((w) => got.has(w));
  }, 60_000).catch((e: Error) => { throw new Error(`${e.message} (got: ${[...got.values()].join(' | ')})\n${outputs()}`); });
  return got;
}

test('a space app at web=2 runs a dyno on each spaces host (none on the plain agent); each reaches the other by its space address and by DNS', { skip, timeout: 240_000 }, async () => {
  assert.deepEqual((await desiredOn('span-app')).map((p) => p.split('@')[1]).sort(), ['host-1', 'host-2'], `one space dyno per spaces host: ${(await desiredOn('span-app')).join(', ')}`);
  assert.deepEqual((await desiredOn('plain-app')).map((p) => p.split('@')[1]).sort(), ['host-1', 'host-2', 'host-3'], 'the plain app spreads over every agent');
  await waitFor('both space dynos up, with their space addresses', async () => (await observed('span-app')).filter((o) => o.state === 'up' && o.space_address).length === 2, 120_000)
    .catch((e: Error) => { throw new Error(`${e.message}\n${outputs()}`); });
  // The dynos' namespaces carry their agent's tag (what the clean-up check after the tests looks for).
  assert.match(execFileSync('ip', ['netns', 'list']).toString(), new RegExp(`slipway-${networkTag(agents[0]!.dataDir)}-`));
  const [one, two] = (await observed('span-app')) as [Awaited<ReturnType<typeof observed>>[number], Awaited<ReturnType<typeof observed>>[number]];
  // Each host hands out addresses from its own slice of the range: never the same address twice.
  assert.notEqual(one.space_address, two.space_address);
  assert.ok([one, two].every((o) => o.space_address!.startsWith('10.177.')), 'addresses of the space');
  // web.1 reaches web.2 (on the other host) at its address and by name, and the other way round.
  for (const [from, to] of [[one, two], [two, one]] as const) {
    const index = to.name.split('.')[1];
    for (const target of [to.space_address!, `${index}.web.span-app.app.localspace`]) {
      const r = await fromEach('span-app', [from.name], `/fetch?url=${encodeURIComponent(`http://${target}:5000/`)}`);
      assert.equal(r.get(from.name), `ok 200 app ${to.name} port=5000`, `${from.name} on ${from.agent} reaches ${to.name} on ${to.agent} at ${target}`);
    }
  }
  const list = (await cli(s, ['agents'])).stdout;
  assert.match(list, /host-1 \(spaces\)/);
  assert.doesNotMatch(list, /host-3 \(spaces\)/, list);
  // The plain agent is not told the spaces: its token reads no plan.
  const plan = await fetch(`${s.url}/agent/v1/spaces`, { headers: { authorization: `Bearer ${tokens[2]}`, 'x-slipway-agent-instance': 'probe' } });
  assert.equal(plan.status, 403);
  assert.equal((await plan.json() as { id: string }).id, 'agent_not_spaces');
  // A spaces agent cannot claim another host's dyno's space address for its own (the other hosts' DNS and routes follow reports).
  const [mine, theirs] = one.agent === 'host-1' ? [one, two] : [two, one];
  const forged = await fetch(`${s.url}/agent/v1/dynos/observed`, {
    method: 'PUT', headers: { authorization: `Bearer ${tokens[0]}`, 'x-slipway-agent-instance': 'probe', 'content-type': 'application/json' },
    body: JSON.stringify({ dynos: [{ id: mine.dyno_id, appId: 'x', releaseId: 'x', type: 'web', name: mine.name, state: 'up', host: mine.host, port: mine.port, spaceAddress: theirs.space_address, restarts: 0, changedAt: new Date().toISOString() }] }),
  });
  assert.equal(forged.status, 422);
  assert.match((await forged.json() as { message: string }).message, new RegExp(`reports ${mine.name} at the space address ${theirs.space_address!.replace(/\./g, '\\.')}, outside its own slice`));
  assert.equal((await observed('span-app')).find((o) => o.dyno_id === mine.dyno_id)?.space_address, mine.space_address, 'its space address is unchanged');
});

test('the default network reaches neither space dyno, and forged VXLAN packets from tenants on every host inject nothing', { skip, timeout: 240_000 }, async () => {
  const sp = await observed('span-app');
  const plain = await observed('plain-app');
  await waitFor('the plain app\'s three dynos up', async () => (await observed('plain-app')).filter((o) => o.state === 'up').length === 3, 120_000);
  const names = plain.map((o) => o.name);
  for (const target of sp) {
    const r = await fromEach('plain-app', names, `/fetch?url=${encodeURIComponent(`http://${target.space_address}:5000/`)}`);
    for (const [dyno, body] of r) assert.match(body, /^error /, `${dyno} (default network) must not reach ${target.name} at ${target.space_address}: ${body}`);
  }
  // Each tenant dyno (on host-1, host-2 and host-3) sends VXLAN packets with the space's VNI to
  // both spaces hosts: an inner frame to the space dyno there, from an address of the other host's
  // slice, to the UDP port the space dyno counts "forged" datagrams on.
  const hosts = net.hosts.slice(0, 2);
  const spaceId = (await store.db.selectFrom('spaces').select('id').where('name', '=', SPACE).executeTakeFirstOrThrow()).id;
  for (const [i, h] of hosts.entries()) {
    const victim = sp.find((o) => o.agent === `host-${i + 1}`)!;
    const q = new URLSearchParams({ to: h.address, port: String(VXLAN_PORT), vni: String(VNI), mac: vtepMac(spaceId, h.address), src: `10.177.${i === 0 ? 4 : 0}.9`, dst: victim.space_address! });
    const sent = await fromEach('plain-app', names, `/forge?${q}`);
    assert.equal(sent.size, 3);
  }
  // What the space dynos counted (asked by each other, across the overlay that does work).
  const counts = await fromEach('span-app', sp.map((o) => o.name), '/udp');
  for (const [dyno, body] of counts) assert.equal(body, 'udp 0', `${dyno} got forged datagrams through the overlay`);
});

test('a spaces host joining and leaving changes only its entries in the others\' overlay: their VXLAN devices stay, and the space dynos keep reaching each other', { skip, timeout: 120_000 }, async () => {
  const hosts = net.hosts.slice(0, 2);
  /** Each spaces host's VXLAN device: its ifindex and the peers' addresses its forwarding entries send to. */
  const devices = () => hosts.map((h) => {
    const link = (JSON.parse(execFileSync('ip', ['-n', h.ns, '-j', 'link', 'show', 'type', 'vxlan']).toString()) as Array<{ ifname: string; ifindex: number }>)[0];
    // None at this moment (it is being made again): no index, no peers.
    if (!link) return { ifindex: -1, peers: [] as string[] };
    const fdb = JSON.parse(execFileSync('ip', ['netns', 'exec', h.ns, 'bridge', '-j', 'fdb', 'show', 'dev', link.ifname]).toString()) as Array<{ dst?: string }>;
    return { ifindex: link.ifindex, peers: fdb.flatMap((f) => (f.dst ? [f.dst] : [])).sort() };
  });
  const before = devices();
  // A fourth spaces host: registered (and heartbeating) through the protocol at an address of the bridge.
  const created = await cli(s, ['agents:create', 'host-4', '--spaces']);
  assert.equal(created.code, 0, created.stderr);
  const token = /(slpa_[\w-]+)/.exec(created.stdout)![1]!;
  const call = (p: string, body: unknown) => fetch(`${s.url}${p}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-slipway-agent-instance': 'host-4', 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const joined = `10.231.6.60`;
  assert.equal((await call('/agent/v1/register', { protocol_version: 1, hostname: 'host-4', address: joined, slots: 1, memory_mb: null })).status, 200);
  const beat = setInterval(() => { call('/agent/v1/heartbeat', {}).catch(() => undefined); }, 500);
  try {
    await waitFor('both hosts to add host-4 to their overlay', async () => devices().every((d) => d.peers.includes(joined)), 60_000)
      .catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(devices())}\n${outputs()}`); });
    assert.deepEqual(devices().map((d) => d.ifindex), before.map((d) => d.ifindex), 'the devices were kept, not made again');
  } finally { clearInterval(beat); }
  assert.equal((await cli(s, ['agents:revoke', 'host-4'])).code, 0);
  await waitFor('both hosts to drop host-4 from their overlay', async () => devices().every((d) => !d.peers.includes(joined)), 60_000)
    .catch((e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(devices())}\n${outputs()}`); });
  assert.deepEqual(devices(), before, 'the same devices, with the same peers as before');
  // The two space dynos still reach each other across the overlay.
  const [one, two] = (await observed('span-app')) as [Awaited<ReturnType<typeof observed>>[number], Awaited<ReturnType<typeof observed>>[number]];
  for (const [from, to] of [[one, two], [two, one]] as const) {
    const r = await fromEach('span-app', [from.name], `/fetch?url=${encodeURIComponent(`http://${to.space_address}:5000/`)}`);
    assert.equal(r.get(from.name), `ok 200 app ${to.name} port=5000`);
  }
});
