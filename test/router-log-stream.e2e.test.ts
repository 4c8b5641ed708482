// A router's log lines on one long upload (/agent/v1/router/log-stream): lines cut between writes
// arrive whole and are acknowledged only once whole; no other token opens it; a revoked router
// token's upload is cut within a second and takes nothing after; a line that never ends cuts only
// that upload, and the server and other routers' uploads go on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, cli, api, TOKEN, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/runs.js';

let s: TestServer;
let appId: string;
before(async () => {
  s = await startServer();
  assert.equal((await cli(s, ['apps:create', 'stream-app'])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', '/apps/stream-app')).json.id;
});
after(async () => { await s?.stop(); });

const tokenOf = (stdout: string): string => /(slpr_[\w-]+)/.exec(stdout)?.[1] ?? '';

/** An open upload: write to it, read the server's acknowledgements, see it end. */
interface Upload { status: Promise<number>; acks: number[]; write(text: string): void; ended: Promise<void>; close(): void }

function upload(token: string, from = '127.0.0.1'): Upload {
  const { hostname, port } = new URL(s.url);
  const acks: number[] = [];
  let onStatus!: (n: number) => void;
  let onEnd!: () => void;
  const status = new Promise<number>((r) => { onStatus = r; });
  const ended = new Promise<void>((r) => { onEnd = r; });
  const req = http.request({
    host: hostname, port, path: '/agent/v1/router/log-stream', method: 'POST', localAddress: from, agent: false,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-slipway-router-lines', 'transfer-encoding': 'chunked' },
  }, (res) => {
    onStatus(res.statusCode ?? 0);
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (t: string) => {
      const all = rest + t;
      const lines = all.split('\n');
      rest = lines.pop()!;
      for (const l of lines) acks.push(Number(l));
    });
    res.on('end', onEnd);
    res.on('close', onEnd);
    res.on('error', onEnd);
  });
  req.on('error', () => { onStatus(0); onEnd(); });
  req.flushHeaders();
  return { status, acks, write: (t) => req.write(t), ended, close: () => req.destroy() };
}

const wire = (line: string) => `${appId}\t${(Date.now() / 1000).toFixed(3)}\t${line}\n`;
const routerLog = async () => (await cli(s, ['logs', '-a', 'stream-app', '-n', '1500'])).stdout;

test('lines cut between writes arrive whole, acknowledged once whole; they keep their order', { timeout: 60_000 }, async () => {
  const token = tokenOf((await cli(s, ['routers:create', 'stream-1'])).stdout);
  const u = upload(token);
  const first = wire('at=info method=GET path="/first" host=stream-app.localhost request_id=r1 fwd="10.0.0.1" dyno=web.1 connect=0ms service=3ms status=200 bytes=10 protocol=http');
  const second = wire('at=info method=GET path="/second" host=stream-app.localhost request_id=r2 fwd="10.0.0.1" dyno=web.1 connect=1ms service=4ms status=404 bytes=20 protocol=http');
  const cut = first.length + 40;
  u.write((first + second).slice(0, cut));
  assert.equal(await u.status, 200);
  await waitFor('the first line acknowledged', async () => u.acks.includes(Buffer.byteLength(first)), 10_000);
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual(u.acks, [Buffer.byteLength(first)], 'half a line is not acknowledged');
  u.write((first + second).slice(cut));
  await waitFor('both lines acknowledged', async () => u.acks.at(-1) === Buffer.byteLength(first + second), 10_000);
  const log = await routerLog();
  const a = log.indexOf('heroku[router]: at=info method=GET path="/first"');
  const b = log.indexOf('heroku[router]: at=info method=GET path="/second" host=stream-app.localhost request_id=r2 fwd="10.0.0.1" dyno=web.1 connect=1ms service=4ms status=404 bytes=20 protocol=http');
  assert.ok(a >= 0 && b > a, log);
  u.close();
});

test('no other token opens the upload; a revoked router token\'s upload is cut within a second and takes nothing after', { timeout: 60_000 }, async () => {
  const agentToken = /(slpa_[\w-]+)/.exec((await cli(s, ['agents:create', 'stream-agent'])).stdout)?.[1] ?? '';
  for (const [from, token] of [['127.0.0.81', TOKEN], ['127.0.0.82', agentToken], ['127.0.0.83', 'slpr_not-a-real-token-at-all-0000']] as const) {
    const u = upload(token, from);
    u.write(wire(`at=info forged-by-${token.slice(0, 4)}`));
    assert.equal(await u.status, 401, `the upload with ${token.slice(0, 5)}`);
    u.close();
  }
  const token = tokenOf((await cli(s, ['routers:create', 'stream-2'])).stdout);
  const u = upload(token, '127.0.0.84');
  u.write(wire('at=info before-revoking'));
  assert.equal(await u.status, 200);
  await waitFor('the line acknowledged', async () => u.acks.length === 1, 10_000);
  assert.equal((await cli(s, ['routers:revoke', 'stream-2'])).code, 0);
  await new Promise((r) => setTimeout(r, 1100));
  u.write(wire('at=info after-revoking'));
  const cutIn = await Promise.race([u.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
  assert.ok(cutIn, 'the revoked router\'s upload was not cut');
  assert.equal(u.acks.length, 1, 'nothing acknowledged after the revocation');
  const log = await routerLog();
  assert.match(log, /before-revoking/);
  assert.doesNotMatch(log, /after-revoking|forged-by/);
});

test('a line that never ends cuts that upload only: the server and another router\'s upload go on', { timeout: 60_000 }, async () => {
  const token = tokenOf((await cli(s, ['routers:create', 'stream-3'])).stdout);
  const good = upload(token, '127.0.0.85');
  const bomb = upload(token, '127.0.0.86');
  const piece = 'x'.repeat(16 * 1024);
  for (let i = 0; i < 64; i++) bomb.write(piece);
  const cut = await Promise.race([bomb.ended.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
  assert.ok(cut, 'an upload of 1 MiB without a newline was not cut');
  assert.equal(bomb.acks.length, 0);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
  good.write(wire('at=info after-the-bomb'));
  assert.equal(await good.status, 200);
  await waitFor('the other upload acknowledged', async () => good.acks.length === 1, 10_000);
  assert.match(await routerLog(), /after-the-bomb/);
  assert.match(s.output(), /a router's log upload was cut: a line of more than 65536 bytes/);
  good.close();
});
