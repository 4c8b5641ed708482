// "The internet" for egress tests, without leaving this machine: a namespace the test makes
// (prefix `slt`, never Slipway's; one per test process), routed from the host over a veth, with a
// TCP server that says which address it saw, a DNS server answering every A question with its own
// address, and optionally a static HTTP server (a git repository served "dumb"). Also
// listeners on the host itself (a service no sandbox may reach) and the probe a hostile app runs.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { REPO } from './server.js';

const slot = process.pid % 250;
export const INTERNET = { ns: `slt-internet-${process.pid}`, veth: `sltv${process.pid}`, host: `198.18.${slot}.1`, addr: `198.18.${slot}.2`, port: 8080, httpPort: 8081 };

const SERVER = `
const net = require('net'), dgram = require('dgram'), http = require('http'), fs = require('fs'), path = require('path');
const dir = process.env.SERVE_DIR;
if (dir) http.createServer((req, res) => {
  const f = path.join(dir, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  if (!f.startsWith(dir) || !fs.existsSync(f) || !fs.statSync(f).isFile()) { res.writeHead(404).end(); return; }
  res.writeHead(200);
  fs.createReadStream(f).pipe(res);
}).listen(${INTERNET.httpPort}, '0.0.0.0');
const { parseQuery, buildResponse, RCODE } = await import(${JSON.stringify(path.join(REPO, 'dist/src/spaces/dns-packet.js'))});
net.createServer((s) => s.end('internet saw ' + s.remoteAddress.replace(/^::ffff:/, ''))).listen(${INTERNET.port}, '0.0.0.0');
const d = dgram.createSocket('udp4');
d.on('message', (m, from) => { const q = parseQuery(m); if (q) d.send(buildResponse(m, q, RCODE.ok, ['${INTERNET.addr}']), from.port, from.address); });
d.bind(53, '${INTERNET.addr}', () => console.log('ready'));
`;

/** Make the namespace and start its servers (serving `serveDir` over HTTP if given); close() removes both. */
export async function fakeInternet(serveDir?: string): Promise<{ close(): void }> {
  const ip = (...a: string[]) => execFileSync('ip', a, { stdio: 'pipe' });
  const close = (p?: ChildProcess) => { p?.kill('SIGKILL'); try { ip('netns', 'del', INTERNET.ns); } catch { /* gone */ } try { ip('link', 'del', INTERNET.veth); } catch { /* gone */ } };
  close();
  ip('netns', 'add', INTERNET.ns);
  ip('link', 'add', INTERNET.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', INTERNET.ns);
  ip('addr', 'add', `${INTERNET.host}/30`, 'dev', INTERNET.veth);
  ip('link', 'set', INTERNET.veth, 'up');
  ip('-n', INTERNET.ns, 'addr', 'add', `${INTERNET.addr}/30`, 'dev', 'eth0');
  ip('-n', INTERNET.ns, 'link', 'set', 'eth0', 'up');
  ip('-n', INTERNET.ns, 'link', 'set', 'lo', 'up');
  const p = spawn('ip', ['netns', 'exec', INTERNET.ns, process.execPath, '--input-type=module', '-e', `import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);\n${SERVER}`], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, SERVE_DIR: serveDir ?? '' } });
  await new Promise<void>((resolve, reject) => { p.stdout!.once('data', () => resolve()); p.once('exit', (c) => reject(new Error(`the fake internet exited (${c})`))); });
  return { close: () => close(p) };
}

/** A host service (an operator's database, sshd…): listens on `host` and greets with a secret. */
export async function hostService(host: string): Promise<{ port: number; close(): void }> {
  const srv = net.createServer((s) => s.end('host-secret'));
  await new Promise<void>((r) => srv.listen(0, host, () => r()));
  return { port: (srv.address() as net.AddressInfo).port, close: () => srv.close() };
}

/** The host's first non-loopback IPv4 address. */
export function hostAddress(): string {
  return Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal && !a.address.startsWith('198.18.'))!.address;
}

/** A web process that tries connections and lookups for whoever asks (a tenant probing its neighbours). */
export const PROBE_SERVER = `const http = require('http'), net = require('net'), dns = require('dns'), fs = require('fs'), os = require('os');
const probe = (host, port) => new Promise((r) => {
  const s = net.connect({ host, port: Number(port) });
  const t = setTimeout(() => { s.destroy(); r('timeout'); }, 2000);
  s.on('connect', () => { clearTimeout(t); let d = ''; s.on('data', (c) => { d += c; }); setTimeout(() => { s.destroy(); r('open ' + d.slice(0, 60)); }, 300); });
  s.on('error', (e) => { clearTimeout(t); r(e.code); });
});
http.createServer(async (req, res) => {
  const u = new URL(req.url, 'http://x');
  if (u.pathname === '/probe') return res.end(await probe(u.searchParams.get('host'), u.searchParams.get('port')));
  if (u.pathname === '/get') return http.get({ host: u.searchParams.get('host'), port: Number(u.searchParams.get('port')), path: u.searchParams.get('path'), headers: { host: u.searchParams.get('vhost') }, timeout: 2000 }, (r) => { let d = ''; r.on('data', (c) => { d += c; }); r.on('end', () => res.end(r.statusCode + ' ' + d)); }).on('error', (e) => res.end(e.code)).on('timeout', function () { this.destroy(); });
  if (u.pathname === '/dns') return dns.lookup(u.searchParams.get('name'), { family: 4 }, (e, a) => res.end(e ? e.code : a));
  if (u.pathname === '/whoami') return res.end(JSON.stringify({ port: process.env.PORT, addrs: Object.values(os.networkInterfaces()).flat().filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address), resolv: fs.readFileSync('/etc/resolv.conf', 'utf8') }));
  res.end('probe-app ' + process.env.DYNO);
}).listen(Number(process.env.PORT));
`;

/** The same probe as a one-shot script: `node probe.js host:port …` prints `host:port → result` per target. */
export const PROBE_SCRIPT = `const net = require('net');
const probe = (host, port) => new Promise((r) => {
  const s = net.connect({ host, port: Number(port) });
  const t = setTimeout(() => { s.destroy(); r('timeout'); }, 2000);
  s.on('connect', () => { clearTimeout(t); s.destroy(); r('open'); });
  s.on('error', (e) => { clearTimeout(t); r(e.code); });
});
(async () => { for (const t of process.argv.slice(1).filter((a) => a.includes(':') && !a.includes('/'))) { const i = t.lastIndexOf(':'); console.log('PROBE ' + t + ' -> ' + await probe(t.slice(0, i), t.slice(i + 1))); } })();
`;
