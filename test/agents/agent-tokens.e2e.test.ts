// Agent tokens are their own kind: they open /agent/v1/* and nothing else, API tokens do not open
// /agent/v1/*, a revoked agent token stops at once (and the agent process exits saying so, having
// claimed nothing), and an agent of an unknown protocol version is refused with a clear error.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, TOKEN, BIN, type TestServer } from '../helpers/server.js';
import { runCommand } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp.js';

let s: TestServer;
// Only agents execute for this server: a job an agent does not claim stays queued.
before(async () => { s = await startServer({ SLIPWAY_EMBEDDED_RUNNER: 'off' }); });
after(async () => { await s?.stop(); });

/** One request from a chosen loopback address (refused tokens count against the address they come from). */
function send(from: string, method: string, p: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: { id?: string; message?: string; [k: string]: unknown } }> {
  const { hostname, port } = new URL(s.url);
  const text = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: hostname, port, path: p, method, localAddress: from, agent: false,
      headers: { authorization: `Bearer ${token}`, 'x-slipway-agent-instance': 'test-instance', ...(text !== undefined ? { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) } : {}), ...headers },
    }, (res) => {
      let out = '';
      res.on('data', (c) => { out += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: out ? JSON.parse(out) : {} }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const tokenOf = (stdout: string): string => /(slpa_[\w-]+)/.exec(stdout)?.[1] ?? '';
const register = { protocol_version: 1, hostname: 'h1', address: null, slots: 1, memory_mb: null };

test('an agent token works on /agent/v1/* only, an API token never there', { timeout: 60_000 }, async () => {
  const created = await cli(s, ['agents:create', 'tok-a']);
  assert.equal(created.code, 0, created.stderr);
  const agentToken = tokenOf(created.stdout);
  assert.match(agentToken, /^slpa_/, created.stdout);

  // The agent token on the admin API: 401 on every route, reads and writes alike.
  for (const [method, p, body] of [['GET', '/apps'], ['GET', '/agents'], ['POST', '/agents', { name: 'evil' }], ['DELETE', '/agents/tok-a'], ['GET', '/pipelines'], ['POST', '/sources', {}]] as const) {
    const r = await send('127.0.0.21', method, p, agentToken, body);
    assert.equal(r.status, 401, `${method} ${p} with an agent token: ${JSON.stringify(r.json)}`);
  }
  assert.equal((await api<Array<{ name: string }>>(s, 'GET', '/agents')).json.filter((a) => a.name === 'evil').length, 0);
  // Paths spelled to look like agent routes open nothing else (another agent's token: refused ones count against a token's prefix).
  const otherToken = tokenOf((await cli(s, ['agents:create', 'tok-p'])).stdout);
  for (const p of ['/agent/v1/../../apps', '/agent/v1/%2e%2e/%2e%2e/apps', '/apps/../agent/v1/register', '/agent/v1/jobs/..%2f..%2f..%2fapps']) {
    const r = await send('127.0.0.27', 'GET', p, otherToken);
    assert.ok(r.status === 401 || r.status >= 404, `${p} with an agent token: ${r.status} ${JSON.stringify(r.json)}`);
  }

  // The admin API token on agent routes: 401, nothing claimed.
  for (const [p, body] of [['/agent/v1/register', register], ['/agent/v1/jobs/claim', { wait_ms: 0 }], ['/agent/v1/heartbeat', {}]] as const) {
    const r = await send('127.0.0.22', 'POST', p, TOKEN, body);
    assert.equal(r.status, 401, `${p} with the admin token: ${JSON.stringify(r.json)}`);
    assert.match(r.json.message ?? '', /Not an agent token/);
  }

  // The agent token where it belongs.
  const ok = await send('127.0.0.23', 'POST', '/agent/v1/register', agentToken, register);
  assert.equal(ok.status, 200, JSON.stringify(ok.json));
  assert.equal(ok.json['name'], 'tok-a');
  const list = await cli(s, ['agents']);
  assert.match(list.stdout, /tok-a\s+online\s+\S+ ago\s+1\s+0\s+h1/, list.stdout);
});

test('an agent of an unknown protocol version is refused, naming the versions the server speaks', { timeout: 30_000 }, async () => {
  const token = tokenOf((await cli(s, ['agents:create', 'tok-v'])).stdout);
  const r = await send('127.0.0.24', 'POST', '/agent/v1/register', token, { ...register, protocol_version: 99 });
  assert.equal(r.status, 400);
  assert.equal(r.json.id, 'agent_protocol_unsupported');
  assert.match(r.json.message ?? '', /speaks agent protocol version 1; the agent said 99/);
  assert.equal((await send('127.0.0.24', 'POST', '/agent/v1/register', token, { ...register, protocol_version: 1, name: 'someone-else' })).status, 422);
});

test('a revoked agent token is refused at once; the agent exits saying so and claims nothing', { timeout: 120_000 }, async () => {
  const token = tokenOf((await cli(s, ['agents:create', 'tok-r'])).stdout);
  assert.equal((await send('127.0.0.25', 'POST', '/agent/v1/heartbeat', token, {})).status, 200);
  const revoked = await cli(s, ['agents:revoke', 'tok-r']);
  assert.equal(revoked.code, 0, revoked.stderr);
  for (const [p, body] of [['/agent/v1/heartbeat', {}], ['/agent/v1/jobs/claim', { wait_ms: 0 }], ['/agent/v1/register', register]] as const) {
    const r = await send('127.0.0.26', 'POST', p, token, body);
    assert.equal(r.status, 401, p);
    assert.match(r.json.message ?? '', /tok-r\) was revoked/);
  }
  assert.match((await cli(s, ['agents'])).stdout, /tok-r\s+revoked/);

  // Work is waiting: a source uploaded and a build queued (nothing executes it but agents).
  const app = await api<{ name: string }>(s, 'POST', '/apps', { name: 'revoked-agent-app' });
  assert.equal(app.status, 201, JSON.stringify(app.json));
  const src = await api<{ source_blob: { put_url: string; get_url: string } }>(s, 'POST', '/sources');
  const dir = tempDir('slipway-agent-src-');
  fs.writeFileSync(path.join(dir, 'index.js'), 'console.log(1)\n');
  const tgz = path.join(dir, '..', `${path.basename(dir)}.tgz`);
  await runCommand('tar', ['-czf', tgz, '-C', dir, '.'], { timeoutMs: 10_000, env: { PATH: '/usr/bin:/bin' } });
  assert.equal((await fetch(src.json.source_blob.put_url, { method: 'PUT', body: fs.readFileSync(tgz) })).status, 200);
  const build = await api<{ id: string; status: string }>(s, 'POST', '/apps/revoked-agent-app/builds', { source_blob: { url: src.json.source_blob.get_url } });
  assert.equal(build.status, 201, JSON.stringify(build.json));

  const dataDir = tempDir('slipway-agent-');
  const r = await runCommand(process.execPath, [BIN, 'agent', '--server', s.url, '--token', token, '--data-dir', dataDir, '--slots', '1'], {
    timeoutMs: 60_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_NETWORK: 'host', SLIPWAY_SANDBOX_USER: 'nobody' },
  });
  assert.equal(r.code, 3, `${r.stdout}${r.stderr}`);
  assert.match(r.stderr, /the server refused this agent: This agent token \(agent tok-r\) was revoked/);
  const after = (await api<{ status: string }>(s, 'GET', `/apps/revoked-agent-app/builds/${build.json.id}`)).json;
  assert.equal(after.status, 'pending', 'the build was not claimed');
  const jobs = await api<Array<{ running_jobs: number; name: string }>>(s, 'GET', '/agents');
  assert.equal(jobs.json.find((a) => a.name === 'tok-r')?.running_jobs, 0);
  fs.rmSync(dataDir, { recursive: true, force: true });
  fs.rmSync(dir, { recursive: true, force: true });
  fs.rmSync(tgz, { force: true });
});

test('an agent cannot write into a job another agent (or another process of its own) holds', { timeout: 60_000 }, async () => {
  const holder = tokenOf((await cli(s, ['agents:create', 'tok-h'])).stdout);
  const intruder = tokenOf((await cli(s, ['agents:create', 'tok-i'])).stdout);
  // The build the revoked agent left queued.
  const claimed = await send('127.0.0.28', 'POST', '/agent/v1/jobs/claim', holder, { wait_ms: 0 });
  assert.equal(claimed.status, 200, JSON.stringify(claimed.json));
  const jobId = String(claimed.json['id']);
  const batch = { seq: 1, events: [{ type: 'output', data_base64: Buffer.from('forged\n').toString('base64') }] };
  for (const [token, instance] of [[intruder, 'test-instance'], [holder, 'another-process']] as const) {
    for (const [method, p, body] of [['POST', `/agent/v1/jobs/${jobId}/events`, batch], ['POST', `/agent/v1/jobs/${jobId}/finish`, { ok: true }], ['GET', `/agent/v1/jobs/${jobId}/source`], ['POST', `/agent/v1/jobs/${jobId}/lease`, {}]] as const) {
      const r = await send('127.0.0.29', method, p, token, body, { 'x-slipway-agent-instance': instance });
      if (p.endsWith('/lease')) assert.equal(r.json['lost'], true, `${p} as ${instance}`);
      else assert.equal(r.json.id, 'agent_lease_lost', `${method} ${p} as ${instance}: ${r.status} ${JSON.stringify(r.json)}`);
    }
  }
  // The holder's own batch is recorded once, however often it is sent.
  for (let i = 0; i < 2; i++) {
    const r = await send('127.0.0.30', 'POST', `/agent/v1/jobs/${jobId}/events`, holder, batch);
    assert.deepEqual(r.json, { seq: 1, duplicate: i === 1 });
  }
  assert.equal((await send('127.0.0.30', 'POST', `/agent/v1/jobs/${jobId}/events`, holder, { ...batch, seq: 3 })).json.id, 'agent_event_out_of_order');
});
