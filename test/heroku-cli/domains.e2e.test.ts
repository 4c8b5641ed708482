// Custom domains and TLS end to end: `heroku domains:add` / `domains` / `domains:remove` and
// `slipway certs:add` against the real server; the router process answers for the host name over
// plain HTTP and, on its TLS port, presents the domain's certificate by SNI (openssl-made
// certificates, a TLS client that sends SNI and trusts only that certificate), with nginx by default
// and with the Node router (SLIPWAY_TEST_ROUTER=node). Another app can neither take the name nor get
// its certificate served for it. HTTPS outlives the server: killed, the router goes on serving it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import https from 'node:https';
import tls from 'node:tls';
import { cli, viaRouter, startServer, type CliResult } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { freePort } from '../helpers/postgres.js';
import { startHerokuServer, heroku, type HerokuServer } from './helpers.js';
import { tempDir } from '../helpers/temp.js';

let s: HerokuServer;
let dir: string;
let certs: string;
let tlsPort: number;
const A = 'dom-a';
const B = 'dom-b';
const HOST = 'www.dom-a.test';
const run = (args: string[]): Promise<CliResult> => cli(s, args, { cwd: dir });

/** A self-signed certificate and key for `names`, made by openssl; returns [crt file, key file]. */
function makeCert(name: string, names: string[]): [string, string] {
  const crt = path.join(certs, `${name}.crt`);
  const key = path.join(certs, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${names[0]}`,
    '-addext', `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`, '-keyout', key, '-out', crt], { stdio: 'pipe' });
  return [crt, key];
}

/** A certificate for `name` (RSA 2048) issued by a CA whose own key is RSA 1024, chain and key files: Node's TLS takes it, nginx (OpenSSL security level 2) refuses to load it. */
function makeWeakChain(name: string): [string, string] {
  const f = (ext: string) => path.join(certs, `${name}.${ext}`);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  ssl(['req', '-x509', '-newkey', 'rsa:1024', '-nodes', '-days', '2', '-subj', '/CN=weak-ca', '-keyout', f('ca.key'), '-out', f('ca.crt')]);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${name}`, '-addext', `subjectAltName=DNS:${name}`, '-keyout', f('key'), '-out', f('csr')]);
  ssl(['x509', '-req', '-in', f('csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-days', '2', '-copy_extensions', 'copy', '-out', f('leaf.crt')]);
  fs.writeFileSync(f('crt'), fs.readFileSync(f('leaf.crt'), 'utf8') + fs.readFileSync(f('ca.crt'), 'utf8'));
  return [f('crt'), f('key')];
}

/** An HTTPS request to the router's TLS port with SNI `servername` (and that Host unless `host`), trusting only `caFile`; also returns the certificate presented. */
function viaTls(servername: string, caFile: string, p = '/', host = servername): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: tlsPort, servername, path: p, headers: { host }, ca: fs.readFileSync(caFile), agent: false }, (res) => {
      const fingerprint = (res.socket as tls.TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  certs = tempDir('slipway-domains-');
  tlsPort = await freePort();
  s = await startHerokuServer({ SLIPWAY_ROUTER_TLS_PORT: String(tlsPort) });
  dir = exampleRepo('web-app');
  for (const app of [A, B]) assert.equal((await cli(s, ['apps:create', app])).code, 0);
  const b = await run(['builds:create', '-a', A]);
  assert.equal(b.code, 0, b.stdout + b.stderr);
});
after(async () => {
  await s?.stop();
  fs.rmSync(certs, { recursive: true, force: true });
});

test('domains:add routes a host name to the app, `domains` shows the DNS target; another app cannot take it', { timeout: 120_000 }, async () => {
  assert.match(s.output(), new RegExp(`Router over TLS \\(custom domains' certificates by SNI\\) on 127\\.0\\.0\\.1:${tlsPort}, in the router process`), 'the router process serves the TLS port');
  const add = await heroku(s, ['domains:add', HOST, '-a', A]);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, new RegExp(`DNS Target ${A}\\.localhost`));
  const list = await heroku(s, ['domains', '-a', A]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /=== dom-a Heroku Domain\s+dom-a\.localhost/);
  assert.match(list.stdout, new RegExp(`${HOST.replace(/\./g, '\\.')}\\s+CNAME\\s+dom-a\\.localhost`));
  const served = await waitFor('the router to answer for the custom domain', async () => { const r = await viaRouter(s, A, '/', HOST); return r.status === 200 ? r : undefined; }, 60_000);
  assert.match(served.body, /^hello from web\.1 running code one/);

  const steal = await run(['domains:add', HOST.toUpperCase(), '-a', B]);
  assert.equal(steal.code, 2);
  assert.match(steal.stderr, /www\.dom-a\.test is a domain of another app/);
  const own = await run(['domains:add', `${A}.localhost`, '-a', B]);
  assert.equal(own.code, 2);
  assert.match(own.stderr, /under localhost, where the router names apps itself/);
  const bad = await run(['domains:add', 'not a host', '-a', B]);
  assert.match(bad.stderr, /is not a host name/);
  assert.equal((await viaRouter(s, '', '/', 'www.unknown.test')).status, 404);
  assert.match((await run(['domains', '-a', A])).stdout, /www\.dom-a\.test\s+CNAME\s+dom-a\.localhost\s+-/);
});

test('certs:add: the router serves the domain\'s certificate by SNI on its TLS port; another app\'s certificate for the name is never served', { timeout: 120_000 }, async () => {
  const [crt, key] = makeCert('a', [HOST]);
  const [otherCrt, otherKey] = makeCert('b', [HOST]);
  const mismatched = await run(['certs:add', crt, otherKey, '-a', A]);
  assert.equal(mismatched.code, 2);
  assert.match(mismatched.stderr, /the private key does not belong to the certificate/);
  const added = await run(['certs:add', crt, key, '-a', A]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /for www\.dom-a\.test .* it serves 1 of the app's domains/);
  // App B installs its own certificate for A's name: accepted for B, attached to none of A's domains.
  const hostile = await run(['certs:add', otherCrt, otherKey, '-a', B]);
  assert.equal(hostile.code, 0, hostile.stderr);
  assert.match(hostile.stdout, /it serves 0 of the app's domains/);

  const want = new X509Certificate(fs.readFileSync(crt)).fingerprint256;
  const r = await waitFor('HTTPS on the router\'s TLS port', async () => viaTls(HOST, crt).catch(() => undefined), 30_000);
  assert.equal(r.status, 200);
  assert.equal(r.fingerprint, want, 'the certificate presented is the one certs:add installed for this domain');
  assert.match(r.body, /^hello from web\.1 running code one/);
  const headers = JSON.parse((await viaTls(HOST, crt, '/headers')).body) as Record<string, string>;
  assert.deepEqual([headers['x-forwarded-proto'], headers['x-forwarded-port']], ['https', String(tlsPort)]);
  // Inside the certificate's connection, the Host asked for decides where a request goes, as on the plain port and in the Node router.
  const other = await viaTls(HOST, crt, '/', `${B}.localhost`);
  assert.deepEqual([other.status, /No web dyno is running/.test(other.body)], [503, true], `${B} has no web dyno: ${other.status} ${other.body.slice(0, 200)}`);
  const nobody = await viaTls(HOST, crt, '/', 'nobody.localhost');
  assert.deepEqual([nobody.status, /There is no app at this address/.test(nobody.body)], [404, true], nobody.body.slice(0, 200));
  assert.match((await viaTls(HOST, crt, '/', `${A}.localhost`)).body, /^hello from web\.1 running code one/);
  await assert.rejects(viaTls(HOST, otherCrt), /self.signed|unable to verify|certificate/i, 'B\'s certificate for the name is not what the router presents');
  await assert.rejects(viaTls(`${A}.localhost`, crt), /socket hang up|ECONNRESET|alert|disconnected/i, 'a name without a certificate gets no handshake');

  const listed = await heroku(s, ['certs', '-a', A]);
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /www\.dom-a\.test/);
  const certInfo = await heroku(s, ['certs:info', '-a', A]);
  assert.equal(certInfo.code, 0, certInfo.stderr);
  assert.match(certInfo.stdout, /Common Name\(s\):\s+www\.dom-a\.test/);
  assert.match(certInfo.stdout, /SSL certificate is self signed/);
  const domainInfo = await heroku(s, ['domains:info', HOST, '-a', A]);
  assert.equal(domainInfo.code, 0, domainInfo.stderr);
  assert.match(domainInfo.stdout, /cname:\s+dom-a\.localhost/i);
  assert.match((await run(['domains', '-a', A])).stdout, /www\.dom-a\.test\s+CNAME\s+dom-a\.localhost\s+dom-a-1-/);
});

test('a certificate the router cannot load (another app\'s) stops no one else: the next change is routed, the others\' TLS goes on', { timeout: 150_000 }, async () => {
  const B_HOST = 'www.dom-b.test';
  assert.equal((await run(['domains:add', B_HOST, '-a', B])).code, 0);
  const [weakCrt, weakKey] = makeWeakChain(B_HOST);
  const added = await run(['certs:add', weakCrt, weakKey, '-a', B]);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /it serves 1 of the app's domains/);
  // A's next change comes after B's certificate: it is served only if the router's reload did not stop at B's certificate.
  const NEXT = 'api.dom-a.test';
  assert.equal((await run(['domains:add', NEXT, '-a', A])).code, 0);
  const served = await waitFor(`the router to answer for ${NEXT}, added after B's certificate`, async () => { const r = await viaRouter(s, A, '/', NEXT); return r.status === 200 ? r : undefined; }, 30_000);
  assert.match(served.body, /^hello from web\.1 running code one/);
  const a = await viaTls(HOST, path.join(certs, 'a.crt'));
  assert.equal(a.status, 200, 'A\'s certificate is still presented');
  if ((process.env['SLIPWAY_TEST_ROUTER'] ?? 'nginx') === 'nginx') {
    await assert.rejects(viaTls(B_HOST, weakCrt), /socket hang up|ECONNRESET|alert|disconnected/i, 'nginx left the certificate it cannot load out: that name gets no handshake');
    const routerLog = fs.readFileSync(path.join(s.dataDir, 'companions', 'router.log'), 'utf8');
    assert.match(routerLog, /nginx cannot load the certificate of www\.dom-b\.test \(.*ca key too small.*\): www\.dom-b\.test gets no TLS handshake/);
  }
  assert.equal((await run(['domains:remove', NEXT, '-a', A])).code, 0);
});

test('HTTPS outlives the server: killed, the router process goes on presenting the certificate and routing; the restarted server adopts it', { timeout: 150_000 }, async () => {
  const crt = path.join(certs, 'a.crt');
  const before = await viaTls(HOST, crt);
  assert.equal(before.status, 200);
  await s.kill();
  for (let i = 0; i < 5; i++) {
    const r = await viaTls(HOST, crt);
    assert.deepEqual([r.status, r.fingerprint], [200, before.fingerprint], 'served over TLS, with the same certificate, while no server runs');
    assert.match(r.body, /^hello from web\.1 running code one/);
  }
  s = { ...s, ...(await startServer(s.env, s.dataDir)) };
  assert.match(s.output(), /router: adopted the running process/, 'the restarted server adopts the router process instead of starting another');
  const after = await viaTls(HOST, crt);
  assert.deepEqual([after.status, after.fingerprint], [200, before.fingerprint]);
});

test('domains:remove: the router forgets the name, over TLS too', { timeout: 120_000 }, async () => {
  const crt = path.join(certs, 'a.crt');
  const rm = await heroku(s, ['domains:remove', HOST, '-a', A]);
  assert.equal(rm.code, 0, rm.stderr);
  await waitFor('the router to forget the domain', async () => (await viaRouter(s, A, '/', HOST)).status === 404, 30_000);
  await assert.rejects(viaTls(HOST, crt), 'no domain, no certificate');
});
