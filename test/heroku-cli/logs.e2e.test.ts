// Logs as Heroku writes them (app[…] and heroku[…] sources, --source/--dyno filters) and log drains
// through the heroku CLI: syslog over TCP and HTTP(S) with logplex's framing, delivered to
// receivers on loopback, retried while a receiver is down.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { cli, viaRouter } from '../helpers/server.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { startHerokuServer, heroku, type HerokuServer } from './helpers.js';
import { tempDir } from '../helpers/temp.js';

let s: HerokuServer;
const A = 'hk-logs';
const h = (...args: string[]) => heroku(s, args);
let syslog: net.Server;
let syslogText = '';
let syslogTls: tls.Server | undefined;
let tlsText = '';
let web: http.Server;
let webDown = false;
const posts: { headers: http.IncomingHttpHeaders; body: string }[] = [];

const SERVER_JS = 'require("http").createServer((q, r) => r.end("ok")).listen(process.env.PORT, () => console.log("listening on " + process.env.PORT))';

before(async () => {
  syslog = net.createServer((c) => c.on('data', (d) => { syslogText += d; }));
  web = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      if (webDown) { res.statusCode = 503; res.end(); return; }
      posts.push({ headers: req.headers, body });
      res.end();
    });
  });
  await new Promise<void>((r) => syslog.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => web.listen(0, '127.0.0.1', () => r()));
  s = await startHerokuServer();
});
after(async () => {
  await s.stop();
  syslogTls?.close();
  syslog.close();
  web.close();
});


/** Splits octet-counted syslog frames (RFC 6587): every length prefix is its frame's byte length and frames follow each other exactly. */
function octetFrames(text: string): string[] {
  const frames: string[] = [];
  let rest = Buffer.from(text);
  while (rest.length) {
    const sp = rest.indexOf(0x20);
    const n = Number(rest.subarray(0, sp).toString());
    assert.ok(Number.isInteger(n) && n > 0, `a length prefix: ${rest.subarray(0, 40).toString()}`);
    const frame = rest.subarray(sp + 1, sp + 1 + n).toString();
    assert.match(frame, /^<\d+>1 /);
    frames.push(frame);
    rest = rest.subarray(sp + 1 + n);
  }
  return frames;
}
test('drains:add syslog and http, drains lists them with their tokens', { timeout: 60_000 }, async () => {
  assert.equal((await h('apps:create', A)).code, 0);
  const add = await h('drains:add', `syslog://127.0.0.1:${(syslog.address() as AddressInfo).port}`, '-a', A);
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stdout, /Successfully added drain syslog:\/\/127\.0\.0\.1:\d+/);
  assert.equal((await h('drains:add', `http://127.0.0.1:${(web.address() as AddressInfo).port}/logs`, '-a', A)).code, 0);
  const list = await h('drains', '-a', A);
  assert.match(list.stdout, /=== Drains/);
  assert.match(list.stdout, /^syslog:\/\/127\.0\.0\.1:\d+ \(d\.[0-9a-f-]{36}\)$/m);
  assert.match(list.stdout, /^http:\/\/127\.0\.0\.1:\d+\/logs \(d\.[0-9a-f-]{36}\)$/m);
  const bad = await h('drains:add', 'ftp://example.invalid/x', '-a', A);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /ftp:\/\/ drains are not supported/);
});

test('a deploy and a request: app[…] and heroku[…] lines; --source and --dyno filter them; the drains receive them framed', { timeout: 180_000 }, async () => {
  const dir = repoWithBuildpack({}, `echo 'web: node server.js' > "$1/Procfile"; echo '${SERVER_JS}' > "$1/server.js"`);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: dir });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await waitFor('the web dyno', async () => (await viaRouter(s, A)).status === 200, 60_000);
  await waitFor('the router line', async () => /heroku\[router\]: at=info method=GET/.test((await h('logs', '-a', A, '-n', '300')).stdout), 30_000);
  const all = (await h('logs', '-a', A, '-n', '300')).stdout;
  assert.match(all, /app\[api\]: /);
  assert.match(all, /app\[web\.1\]: listening on \d+/);
  assert.match(all, /heroku\[web\.1\]: /);
  assert.doesNotMatch(all, /slipway\[/);
  const platform = (await h('logs', '-a', A, '-n', '300', '--source', 'heroku')).stdout.trim().split('\n');
  assert.ok(platform.length > 1 && platform.every((l) => / heroku\[[\w.]+\]: /.test(l)), platform.join('\n'));
  const app = (await h('logs', '-a', A, '-n', '300', '--source', 'app')).stdout.trim().split('\n');
  assert.ok(app.length > 1 && app.every((l) => / app\[[\w.]+\]: /.test(l)), app.join('\n'));
  const router = (await h('logs', '-a', A, '-n', '300', '--dyno', 'router')).stdout.trim().split('\n');
  assert.ok(router.length >= 1 && router.every((l) => / heroku\[router\]: /.test(l)), router.join('\n'));

  await waitFor('the syslog drain', async () => /<158>1 \S+ d\.[0-9a-f-]+ heroku router - at=info method=GET/.test(syslogText), 30_000);
  octetFrames(syslogText);
  assert.match(syslogText, /<190>1 \S+ d\.[0-9a-f-]+ app web\.1 - listening on \d+/);
  await waitFor('the http drain', async () => posts.some((p) => /heroku router - at=info/.test(p.body)), 30_000);
  for (const p of posts) {
    assert.equal(p.headers['content-type'], 'application/logplex-1');
    assert.match(String(p.headers['logplex-drain-token']), /^d\./);
    // A frame need not end in a newline, so count frames by their length prefixes, not by pattern.
    assert.equal(Number(p.headers['logplex-msg-count']), octetFrames(p.body).length, p.body);
  }
});

test('a syslog+tls drain delivers over TLS, checking the receiver\'s certificate', { timeout: 90_000 }, async () => {
  syslogTls = tls.createServer({ cert: fs.readFileSync(s.certFile), key: fs.readFileSync(s.keyFile) }, (c) => c.on('data', (d) => { tlsText += d; }));
  await new Promise<void>((r) => syslogTls!.listen(0, '127.0.0.1', () => r()));
  const add = await h('drains:add', `syslog+tls://127.0.0.1:${(syslogTls.address() as AddressInfo).port}`, '-a', A);
  assert.equal(add.code, 0, add.stderr);
  assert.equal((await h('config:set', 'OVER_TLS=1', '-a', A)).code, 0);
  await waitFor('the line over TLS', async () => /<190>1 \S+ d\.[0-9a-f-]+ app api - Release v\d+ created: Set OVER_TLS config vars/.test(tlsText), 30_000);
  // A receiver whose certificate the server does not trust gets no line (the log is not sent in the clear to an impostor).
  const dir = tempDir('slipway-drain-impostor-');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'pipe' });
  let stolen = '';
  const impostor = tls.createServer({ cert: fs.readFileSync(path.join(dir, 'cert.pem')), key: fs.readFileSync(path.join(dir, 'key.pem')) }, (c) => c.on('data', (d) => { stolen += d; }));
  impostor.on('tlsClientError', () => { /* the drain refused the certificate */ });
  await new Promise<void>((r) => impostor.listen(0, '127.0.0.1', () => r()));
  try {
    assert.equal((await h('drains:add', `syslog+tls://127.0.0.1:${(impostor.address() as AddressInfo).port}`, '-a', A)).code, 0);
    assert.equal((await h('config:set', 'SECRET_LINE=1', '-a', A)).code, 0);
    await waitFor('the trusted drain', async () => /SECRET_LINE/.test(tlsText), 30_000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(stolen, '', 'nothing reached the impostor');
    assert.equal((await h('drains:remove', `syslog+tls://127.0.0.1:${(impostor.address() as AddressInfo).port}`, '-a', A)).code, 0);
  } finally { impostor.close(); fs.rmSync(dir, { recursive: true, force: true }); }
});

test('an HTTP drain that is down gets the lines once it is back; drains:remove stops the copy', { timeout: 120_000 }, async () => {
  webDown = true;
  const before = posts.length;
  assert.equal((await h('config:set', 'WHILE_DOWN=1', '-a', A)).code, 0);
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(posts.length, before, 'nothing was accepted while down');
  webDown = false;
  await waitFor('the retried lines', async () => posts.slice(before).some((p) => /Set WHILE_DOWN config vars/.test(p.body)), 60_000);
  const url = `http://127.0.0.1:${(web.address() as AddressInfo).port}/logs`;
  const rm = await h('drains:remove', url, '-a', A);
  assert.equal(rm.code, 0, rm.stderr);
  assert.match(rm.stdout, /Successfully removed drain/);
  const after = posts.length;
  assert.equal((await h('config:set', 'AFTER_REMOVE=1', '-a', A)).code, 0);
  await waitFor('the syslog drain still copying', async () => /AFTER_REMOVE/.test(syslogText), 30_000);
  assert.equal(posts.slice(after).filter((p) => /AFTER_REMOVE/.test(p.body)).length, 0);
  assert.doesNotMatch((await h('drains', '-a', A)).stdout, /http:\/\//);
});
