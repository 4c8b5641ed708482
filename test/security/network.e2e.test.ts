// Attack: a tenant's dyno and one-off probe the network around them, through the real server. Each
// sandbox has a namespace of its own: the API, the router's port, host services, another app's
// dyno and add-ons are out of reach; its own add-ons, DNS and the (fake, on-machine) internet work.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import { once } from 'node:events';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startServer, cli, api, viaRouter, type TestServer } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { serverTag, slipwayLeftovers } from '../helpers/netns.js';
import { needs } from '../helpers/tools.js';
import { hostNameservers } from '../../src/spaces/dns-relay.js';
import { fakeInternet, hostService, hostAddress, INTERNET, PROBE_SERVER, PROBE_SCRIPT } from '../helpers/fake-internet.js';
import { tempDir } from '../helpers/temp.js';

const skip = needs('spaces');
const exec = promisify(execFile);
let s: TestServer;
let internet: { close(): void } | undefined;
const services: Array<{ port: number; close(): void }> = [];
const V = 'net-victim';
const T = 'net-tenant';
let vars: Record<string, Record<string, string>> = {};

const probeRepo = () => exampleRepo('web-app', (d) => {
  fs.writeFileSync(path.join(d, 'server.js'), PROBE_SERVER);
  fs.writeFileSync(path.join(d, 'probe.js'), PROBE_SCRIPT);
});
const hostPort = (url: string) => { const u = new URL(url); return { host: u.hostname, port: u.port }; };
const probe = async (app: string, host: string, port: string | number) => (await viaRouter(s, app, `/probe?host=${host}&port=${port}`)).body;
/** Refused by the firewall (or nothing there): never a connection, never an empty answer. */
const BLOCKED = /^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|EACCES|timeout)$/;
const blocked = (result: string, what: string) => assert.match(result, BLOCKED, what);

before(async () => {
  if (skip) return;
  internet = await fakeInternet();
  services.push(await hostService('127.0.0.1'), await hostService(hostAddress()));
  // The data folder outside /tmp (as an operator's /var/lib/slipway): the sandboxes' view of the host is
  // built around it, so nothing mounted under it (other tenants' workspaces) is copied into a sandbox.
  s = await startServer({ SLIPWAY_NETWORK_DNS: INTERNET.addr, SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' }, tempDir('slipway-net-', '/var/tmp'));
  const repo = probeRepo();
  for (const app of [V, T]) {
    assert.equal((await cli(s, ['apps:create', app])).code, 0);
    for (const plan of app === V ? ['heroku-redis', 'heroku-postgresql'] : ['heroku-redis']) {
      const r = await cli(s, ['addons:create', plan, '-a', app]);
      assert.equal(r.code, 0, r.stderr);
    }
    const b = await cli(s, ['builds:create', '-a', app], { cwd: repo });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    vars[app] = (await api<Record<string, string>>(s, 'GET', `/apps/${app}/config-vars`)).json;
    await waitFor(`${app} to serve`, async () => (await viaRouter(s, app)).status === 200);
  }
});

after(async () => {
  await s?.stop();
  if (s) fs.rmSync(s.dataDir, { recursive: true, force: true });
  internet?.close();
  for (const x of services) x.close();
  vars = {};
});

test('from a dyno: the API, the router port and host services are unreachable', { skip, timeout: 60_000 }, async () => {
  const api = new URL(s.url);
  blocked(await probe(T, '127.0.0.1', api.port), 'the API on the host loopback');
  blocked(await probe(T, '127.0.0.1', s.routerPort), 'the router port on the host loopback');
  blocked(await probe(T, '127.0.0.1', services[0]!.port), 'a host service on 127.0.0.1');
  blocked(await probe(T, hostAddress(), services[1]!.port), 'a host service on the host\'s address');
  const me = JSON.parse((await viaRouter(s, T, '/whoami')).body) as { addrs: string[]; resolv: string };
  const gateway = /nameserver (\S+)/.exec(me.resolv)![1]!;
  // Only probed when it is Slipway's own gateway: the host's resolver may be off this machine.
  assert.ok(!hostNameservers().includes(gateway), `the dyno's resolver is Slipway's gateway, not the host's (${gateway})`);
  blocked(await probe(T, gateway, api.port), 'the API through the gateway address');
  blocked(await probe(T, gateway, 22), 'sshd (or anything) on the gateway');
  // The router is every app's public door, from inside as from the internet: only it is offered.
  assert.doesNotMatch(await probe(T, gateway, s.routerPort), BLOCKED, 'the router\'s door on the gateway');
  // The router's own status (the table version nginx serves) is at a path only the router knows (router-nginx.e2e reads it).
  for (const p of ['/', '/generation']) {
    const status = (await viaRouter(s, T, `/get?host=${gateway}&port=${s.routerPort}&vhost=slipway_status&path=${p}`)).body;
    assert.match(status, /^404 /, `the router's status at ${p} from a dyno: ${status.slice(0, 80)}`);
  }
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('from a dyno: another app\'s dyno and add-ons are unreachable, even with their URLs; its own add-on works', { skip, timeout: 60_000 }, async () => {
  const victim = JSON.parse((await viaRouter(s, V, '/whoami')).body) as { port: string; addrs: string[] };
  const target = victim.addrs[0] ?? '127.0.0.1';
  assert.ok(!target.startsWith('127.') && target !== hostAddress(), `the victim dyno has an address of its own (${victim.addrs.join(', ')})`);
  blocked(await probe(T, target, victim.port), 'the victim\'s web dyno directly');
  for (const name of ['REDIS_URL', 'DATABASE_URL']) {
    const { host, port } = hostPort(vars[V]![name]!);
    blocked(await probe(T, host, port), `the victim's ${name}`);
  }
  const own = hostPort(vars[T]![`REDIS_URL`]!);
  assert.match(await probe(T, own.host, own.port), /^open/, 'its own Redis');
  // The victim reaches its own add-ons; on the host, only the server's user reaches a dyno.
  const vdb = hostPort(vars[V]!['DATABASE_URL']!);
  assert.match(await probe(V, vdb.host, vdb.port), /^open/, 'the victim\'s own Postgres');
  const asNobody = await exec('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', PROBE_SCRIPT, `${target}:${victim.port}`]);
  assert.match(asNobody.stdout, /-> (ECONNREFUSED|EHOSTUNREACH|timeout)\n/, 'another host user reaching the dyno directly');
  assert.equal((await viaRouter(s, V)).status, 200, 'the router still serves the victim');
});

test('from a dyno: DNS and outbound traffic (NAT) to the internet work', { skip, timeout: 60_000 }, async () => {
  const me = JSON.parse((await viaRouter(s, T, '/whoami')).body) as { resolv: string };
  // Checked first so that, where sandboxes share the host's resolver, no lookup leaves this machine.
  for (const ns of hostNameservers()) assert.ok(!me.resolv.includes(`nameserver ${ns}\n`), `the dyno asks Slipway's resolver, not the host's (${me.resolv})`);
  assert.equal((await viaRouter(s, T, '/dns?name=registry.internet.test')).body, INTERNET.addr);
  assert.equal(await probe(T, INTERNET.addr, INTERNET.port), `open internet saw ${INTERNET.host}`, 'masqueraded to the host\'s address');
});

test('a one-off dyno and a CI test node: no API, no other tenant\'s add-on; a run\'s own add-on works', { skip, timeout: 180_000 }, async () => {
  const api = new URL(s.url);
  const victimRedis = hostPort(vars[V]!['REDIS_URL']!);
  const targets = [`127.0.0.1:${api.port}`, `${victimRedis.host}:${victimRedis.port}`];
  const oneOff = await cli(s, ['run', '-a', T, '--', `node probe.js ${targets.join(' ')}`]);
  assert.equal(oneOff.code, 0, oneOff.stderr);
  assert.equal((oneOff.stdout.match(/PROBE .* -> /g) ?? []).length, 2, oneOff.stdout);
  for (const l of oneOff.stdout.split('\n').filter((x) => x.startsWith('PROBE'))) blocked(l.split(' -> ')[1]!, l);

  assert.equal((await cli(s, ['pipelines:create', 'net-ci'])).code, 0);
  const dir = exampleRepo('web-app', (d) => {
    fs.writeFileSync(path.join(d, 'probe.js'), PROBE_SCRIPT);
    fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: { addons: ['heroku-redis'], scripts: {
      test: `node probe.js ${targets.join(' ')} $(node -e 'const u=new URL(process.env.REDIS_URL);console.log(u.hostname+":"+u.port)')`,
    } } } }));
  });
  const ci = await cli(s, ['ci:run', '-p', 'net-ci'], { cwd: dir, timeoutMs: 170_000 });
  assert.equal((ci.stdout.match(/PROBE .* -> /g) ?? []).length, 3, ci.stdout + ci.stderr);
  const lines = ci.stdout.split('\n').filter((l) => l.startsWith('PROBE'));
  blocked(lines[0]!.split(' -> ')[1]!, 'the API from a test node');
  blocked(lines[1]!.split(' -> ')[1]!, 'another app\'s add-on from a test node');
  assert.match(lines[2]!, /-> open/, 'the run\'s own Redis');
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

/**
 * An app's (one) web dyno: its address, port, gateway, network namespace and the tag of the default
 * network it is on (the server's, or the local agent process's, which runs apps with add-ons).
 */
async function dynoPlace(app: string): Promise<{ ns: string; tag: string; address: string; port: number; gateway: string }> {
  const me = JSON.parse((await viaRouter(s, app, '/whoami')).body) as { port: string; addrs: string[]; resolv: string };
  const tags = [serverTag(s.dataDir), serverTag(path.join(s.dataDir, 'local-agent'))];
  const namespaces = (await exec('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0]!).filter((n) => tags.some((t) => n.startsWith(`slipway-${t}-`)));
  let ns = '';
  // Other sandboxes' namespaces come and go meanwhile (one may be gone by the time it is read).
  for (const n of namespaces) if ((await exec('ip', ['-n', n, '-br', 'addr']).catch(() => ({ stdout: '' }))).stdout.includes(` ${me.addrs[0]}/`)) ns = n;
  assert.ok(ns, `the dyno's namespace (${me.addrs[0]}) among ${namespaces.join(', ')}`);
  return { ns, tag: tags.find((t) => ns.startsWith(`slipway-${t}-`))!, address: me.addrs[0]!, port: Number(me.port), gateway: /nameserver (\S+)/.exec(me.resolv)![1]! };
}

test('the gateway keeps its MAC address while sandboxes\' ports come and go: a dyno never holds an address it left', { skip, timeout: 60_000 }, async () => {
  const own = hostPort(vars[T]!['REDIS_URL']!);
  const dyno = await dynoPlace(T);
  const bridge = `sln${dyno.tag}`;
  const mac = async () => (await exec('ip', ['-br', 'link', 'show', bridge])).stdout.trim().split(/\s+/)[2];
  const before = await mac();
  const neigh = async () => (await exec('ip', ['-n', dyno.ns, 'neigh', 'show', dyno.gateway])).stdout.trim();
  // A port with about the lowest MAC there is, as a release phase's veth may have (a bridge without
  // an address of its own takes its ports' lowest). The name is this part's test prefix (15 characters at most).
  const veth = `slwtnd${process.pid % 100000}`;
  await exec('ip', ['link', 'add', veth, 'address', '02:00:00:00:00:01', 'type', 'veth', 'peer', 'name', `${veth}p`]);
  try {
    await exec('ip', ['link', 'set', veth, 'master', bridge]);
    await exec('ip', ['link', 'set', veth, 'up']);
    // The dyno hears from the gateway while the port is there (a request through the router).
    assert.match(await probe(T, own.host, own.port), /^open/, 'its own Redis while the port is on the bridge');
    assert.equal(await mac(), before, 'the gateway\'s MAC address while the port is on the bridge');
  } finally {
    await exec('ip', ['link', 'del', veth]).catch(() => undefined);
  }
  // Before, the dyno went on sending to the port's address after it left, until its neighbour entry
  // expired (10–40 s): a call to its add-on just then stalled past the router's 30 s (H12).
  const held = await neigh();
  assert.equal(/lladdr (\S+)/.exec(held)?.[1], await mac(), `the address the dyno holds for its gateway is the bridge's (${held})`);
  assert.equal(await mac(), before, 'the gateway\'s MAC address after the port left');
  assert.match(await probe(T, own.host, own.port), /^open/, 'its own Redis after the port left');
});

test('a connection the host closes at once is closed on the dyno too: the host\'s last ACK reaches it', { skip, timeout: 60_000 }, async () => {
  const dyno = await dynoPlace(T);
  // As a boot check does: connect, then close the socket (its last ACK and any reset carry no uid then).
  const sock = net.connect(dyno.port, dyno.address);
  await once(sock, 'connect');
  const port = sock.localPort!;
  sock.destroy();
  // Before, the firewall dropped them: the dyno sat in LAST-ACK, retransmitting its FIN, for ~100 s.
  const lastAck = async () => (await exec('ip', ['netns', 'exec', dyno.ns, 'ss', '-Htan', 'state', 'last-ack', 'dport', '=', `:${port}`])).stdout.trim();
  await waitFor(`the dyno to close its side of port ${port}`, async () => (await lastAck()) === '', 5000).catch(async (e: Error) => { throw new Error(`${e.message}: ${await lastAck()}`); });
});

/** Mount points (mountinfo's fifth field) and file system types of a mountinfo table. */
const mountsOf = (mountinfo: string) => mountinfo.split('\n').filter((l) => l.includes(' - ')).map((l) => ({ at: l.split(' ')[4]!, type: l.split(' - ')[1]!.split(' ')[0]! }));

test('a sandbox copies none of the host\'s other mounts: no namespace of another sandbox, no other tenant\'s workspace filesystem', { skip, timeout: 60_000 }, async () => {
  const host = mountsOf(fs.readFileSync('/proc/self/mountinfo', 'utf8'));
  const others = host.filter((m) => m.at.startsWith(s.dataDir + '/')).map((m) => m.at);
  assert.ok(others.length >= 2, `the two apps' dynos run on workspace filesystems of their own: ${others.join(', ')}`);
  assert.ok(host.some((m) => m.type === 'nsfs'), 'the dynos\' network namespaces are mounted on the host');
  const r = await cli(s, ['run', '-a', T, '--', 'cat /proc/self/mountinfo']);
  assert.equal(r.code, 0, r.stderr);
  const inside = mountsOf(r.stdout);
  assert.ok(inside.length > 5, r.stdout);
  assert.deepEqual(inside.filter((m) => m.type === 'nsfs').map((m) => m.at), [], 'no namespace mount is copied in (one that vanished mid-copy failed the start)');
  assert.deepEqual(inside.filter((m) => others.includes(m.at)).map((m) => m.at), [], 'no running dyno\'s workspace is copied in');
});

test('nothing of the default network is left after the server stops', { skip, timeout: 60_000 }, async () => {
  await s.stop();
  // This server's things only (its data folder's tag): other test files may run servers meanwhile.
  const tag = serverTag(s.dataDir);
  assert.deepEqual(slipwayLeftovers({ tag }), { netns: [], links: [], tables: [] });
  assert.deepEqual((fs.existsSync('/etc/netns') ? fs.readdirSync('/etc/netns') : []).filter((n) => n.startsWith(`slipway-${tag}`)), []);
});
