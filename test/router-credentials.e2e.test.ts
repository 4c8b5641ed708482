// A router token is its own kind: it reads the routing table, sends router logs and in-flight
// reports (/agent/v1/router/*), and nothing else; no other token opens those routes; a revoked
// router token stops at once on a new connection, within a second on one it kept open, and its
// open table stream is cut. The router process refuses to
// start on a token that is not a router token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, cli, api, TOKEN, BIN, type TestServer } from './helpers/server.js';
import { runCommand } from './helpers/run-command.js';
import { freePort } from './helpers/postgres.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s?.stop(); });

/** One request from a chosen loopback address (refused tokens count against the address they come from). */
function send(from: string, method: string, p: string, token: string, body?: unknown): Promise<{ status: number; text: string }> {
  const { hostname, port } = new URL(s.url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: hostname, port, path: p, method, localAddress: from, agent: false,
      headers: { authorization: `Bearer ${token}`, 'x-slipway-agent-instance': 'test-instance', ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}) },
    }, (res) => {
      let out = '';
      res.on('data', (c) => { out += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: out }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

/** Open the table stream; resolves with its first line and a promise of its end. */
function openTable(token: string, instance: string, from = '127.0.0.1'): Promise<{ status: number; first: string; ended: Promise<number> }> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.get({ host: hostname, port, path: `/agent/v1/router/table?instance=${instance}`, headers: { authorization: `Bearer ${token}` }, localAddress: from, agent: false }, (res) => {
      const opened = Date.now();
      const ended = new Promise<number>((r) => { res.on('end', () => r(Date.now() - opened)); res.on('error', () => r(Date.now() - opened)); res.on('close', () => r(Date.now() - opened)); });
      let buf = '';
      const onData = (c: Buffer) => {
        buf += c;
        if (buf.includes('\n') || res.statusCode !== 200) { res.off('data', onData); res.resume(); resolve({ status: res.statusCode ?? 0, first: buf.split('\n')[0]!, ended }); }
      };
      res.on('data', onData);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, first: buf, ended }));
    });
    req.on('error', reject);
  });
}

const tokenOf = (stdout: string, prefix: string): string => new RegExp(`(${prefix}_[\\w-]+)`).exec(stdout)?.[1] ?? '';

test('a router token reads the table and nothing else; no other token reads the table; revoked, its stream is cut', { timeout: 90_000 }, async () => {
  assert.equal((await cli(s, ['apps:create', 'rt-app'])).code, 0);
  const created = await cli(s, ['routers:create', 'edge-1']);
  assert.equal(created.code, 0, created.stderr);
  const routerToken = tokenOf(created.stdout, 'slpr');
  assert.match(routerToken, /^slpr_/, created.stdout);
  const agentToken = tokenOf((await cli(s, ['agents:create', 'rt-agent'])).stdout, 'slpa');

  // The router token gets the table: a snapshot naming the app.
  const table = await openTable(routerToken, 'edge1a');
  assert.equal(table.status, 200, table.first);
  const snap = JSON.parse(table.first) as { type: string; apps: Array<{ name: string }> };
  assert.equal(snap.type, 'snapshot');
  assert.ok(snap.apps.some((a) => a.name === 'rt-app'), table.first);

  // The router token on the API and on agent routes: 401 everywhere, nothing created or claimed.
  for (const [method, p, body] of [['GET', '/apps'], ['POST', '/apps', { name: 'evil-app' }], ['GET', '/routers'], ['POST', '/routers', { name: 'evil' }], ['DELETE', '/routers/edge-1'], ['GET', '/agents'], ['GET', '/apps/rt-app/config-vars']] as const) {
    const r = await send('127.0.0.61', method, p, routerToken, body);
    assert.equal(r.status, 401, `${method} ${p} with a router token: ${r.text}`);
  }
  for (const [p, body] of [['/agent/v1/register', { protocol_version: 1, hostname: 'h', address: null, slots: 1, memory_mb: null }], ['/agent/v1/jobs/claim', { wait_ms: 0 }], ['/agent/v1/heartbeat', {}]] as const) {
    const r = await send('127.0.0.62', 'POST', p, routerToken, body);
    assert.equal(r.status, 401, `${p} with a router token: ${r.text}`);
  }
  assert.equal((await api<unknown>(s, 'GET', '/apps/evil-app')).status, 404);
  assert.deepEqual((await api<Array<{ name: string }>>(s, 'GET', '/routers')).json.map((r) => r.name).filter((n) => n === 'evil'), []);

  // The admin API token and an agent token on the router's routes: 401, no table, no log line injected.
  for (const [from, token] of [['127.0.0.63', TOKEN], ['127.0.0.64', agentToken], ['127.0.0.65', 'slpr_not-a-real-token-at-all-0000']] as const) {
    assert.equal((await openTable(token, 'thief', from)).status, 401, `table with ${token.slice(0, 5)}`);
    const appId = (await api<{ id: string }>(s, 'GET', '/apps/rt-app')).json.id;
    assert.equal((await send(from, 'POST', '/agent/v1/router/logs', token, { lines: [{ app_id: appId, line: 'at=info forged' }], dropped: 0 })).status, 401);
    assert.equal((await send(from, 'POST', '/agent/v1/router/state', token, { instance: 'x', seq: 1, version: 1, in_flight: {} })).status, 401);
  }
  const logs = await cli(s, ['logs', '-a', 'rt-app', '-n', '100']);
  assert.doesNotMatch(logs.stdout, /forged/);

  // Revoked (a token not yet refused anywhere, so no rate limit hides the answer): its open stream is cut within a ping or two, and it opens nothing any more.
  const other = tokenOf((await cli(s, ['routers:create', 'edge-3'])).stdout, 'slpr');
  const open = await openTable(other, 'edge3a');
  assert.equal(open.status, 200);
  assert.equal((await send('127.0.0.66', 'POST', '/agent/v1/router/state', other, { instance: 'edge3a', seq: 1, version: 1, in_flight: {} })).status, 204);
  assert.equal((await cli(s, ['routers:revoke', 'edge-3'])).code, 0);
  const cutAfter = await Promise.race([open.ended, new Promise<number>((r) => setTimeout(() => r(-1), 20_000))]);
  assert.ok(cutAfter >= 0, 'the revoked router\'s stream was not cut within 20 s');
  const again = await openTable(other, 'edge3b', '127.0.0.67');
  assert.equal(again.status, 401);
  assert.match(again.first, /router edge-3\) was revoked/);
  assert.equal((await send('127.0.0.68', 'POST', '/agent/v1/router/state', other, { instance: 'edge3a', seq: 2, version: 1, in_flight: {} })).status, 401);
  table.ended.catch(() => undefined);
});

test('slipway router refuses an agent or API token, and says why; a revoked router token ends it (exit 3)', { timeout: 60_000 }, async () => {
  const agentToken = tokenOf((await cli(s, ['agents:create', 'rt-agent-2'])).stdout, 'slpa');
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root' };
  const wrong = await runCommand(process.execPath, [BIN, 'router', '--server', s.url, '--token', agentToken, '--port', String(await freePort())], { env, timeoutMs: 20_000 });
  assert.equal(wrong.code, 2, wrong.stdout + wrong.stderr);
  assert.match(wrong.stderr, /SLIPWAY_ROUTER_TOKEN is not a router token/);
  const revoked = tokenOf((await cli(s, ['routers:create', 'edge-2'])).stdout, 'slpr');
  assert.equal((await cli(s, ['routers:revoke', 'edge-2'])).code, 0);
  const refused = await runCommand(process.execPath, [BIN, 'router', '--server', s.url, '--token', revoked, '--port', String(await freePort())], { env, timeoutMs: 20_000 });
  assert.equal(refused.code, 3, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /refused this router: This router token \(router edge-2\) was revoked/);
});

test('on a connection that stays open, a revoked router token stops working within a second; another token on it is checked anew', { timeout: 30_000 }, async () => {
  const created = await cli(s, ['routers:create', 'edge-4']);
  assert.equal(created.code, 0, created.stdout + created.stderr);
  const token = tokenOf(created.stdout, 'slpr');
  assert.match(token, /^slpr_/, created.stdout);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const { hostname, port } = new URL(s.url);
  const sockets = new Set<unknown>();
  const bodies: string[] = [];
  const state = (seq: number, bearer = token) => new Promise<number>((resolve, reject) => {
    const text = JSON.stringify({ instance: 'edge4', seq, version: 1, in_flight: {} });
    const req = http.request({ host: hostname, port, path: '/agent/v1/router/state', method: 'POST', agent, localAddress: '127.0.0.71', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } }, (res) => {
      sockets.add(res.socket);
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => { bodies.push(`${seq}: ${res.statusCode} ${body}`); resolve(res.statusCode ?? 0); });
    });
    req.on('error', reject);
    req.end(text);
  });
  try {
    assert.equal(await state(1), 204, bodies.join('\n'));
    assert.equal(await state(2, TOKEN), 401, 'an API token on the router\'s open connection');
    assert.equal(await state(3), 204, bodies.join('\n'));
    assert.equal((await cli(s, ['routers:revoke', 'edge-4'])).code, 0);
    await new Promise((r) => setTimeout(r, 1100));
    assert.equal(await state(4), 401, 'revoked a second ago, on the same connection');
    assert.equal(sockets.size, 1, 'every request went on one connection');
  } finally { agent.destroy(); }
});
