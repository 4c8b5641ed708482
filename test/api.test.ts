// The HTTP API through Fastify's inject(): auth, error shapes, validation, pipelines, config vars.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { tempDir } from './helpers/temp.js';

const TOKEN = 'api-test-token-0123456789';
let s: RunningServer;
const quiet = { info() {}, warn() {}, error() {} };

before(async () => {
  const dataDir = tempDir('slipway-api-');
  s = await startServer(loadConfig({ SLIPWAY_DATA_DIR: dataDir, SLIPWAY_ADMIN_TOKEN: TOKEN }), { listen: false, log: quiet });
});
after(() => s.close());

const req = (method: string, url: string, body?: unknown, token: string | null = TOKEN) => s.app.inject({
  method: method as 'GET', url, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(typeof body === 'string' ? { 'content-type': 'application/json' } : {}) },
  ...(typeof body === 'string' ? { payload: body } : body !== undefined ? { payload: body as object } : {}),
});

test('health needs no token; everything else answers 401 {id, message} without a valid one', async () => {
  assert.equal((await req('GET', '/health', undefined, null)).statusCode, 200);
  for (const [m, u] of [['GET', '/pipelines'], ['POST', '/test-runs'], ['GET', '/test-runs/x/test-nodes'], ['POST', '/sources'], ['GET', '/nope']] as const) {
    for (const token of [null, 'wrong-token']) {
      const r = await req(m, u, undefined, token);
      assert.equal(r.statusCode, 401, `${m} ${u} with ${token}`);
      assert.equal(r.json().id, 'unauthorized');
    }
  }
});

test('a Basic header with the token as password is accepted (git uses it)', async () => {
  const r = await s.app.inject({ method: 'GET', url: '/account', headers: { authorization: 'Basic ' + Buffer.from(':' + TOKEN).toString('base64') } });
  assert.equal(r.statusCode, 200);
  assert.equal(r.json().name, 'admin');
});

test('pipelines: create, name rules, duplicates, lookup by name or id, 404s', async () => {
  const created = await req('POST', '/pipelines', { name: 'shop' });
  assert.equal(created.statusCode, 201);
  assert.equal(created.json().name, 'shop');
  assert.equal((await req('GET', `/pipelines/${created.json().id}`)).json().name, 'shop');
  assert.equal((await req('GET', '/pipelines/shop')).json().id, created.json().id);
  const dup = await req('POST', '/pipelines', { name: 'shop' });
  assert.deepEqual([dup.statusCode, dup.json().id], [409, 'name_taken']);
  const bad = await req('POST', '/pipelines', { name: 'Bad Name!' });
  assert.deepEqual([bad.statusCode, bad.json().id], [422, 'invalid_params']);
  assert.match(bad.json().message, /name: pipeline names start with a lowercase letter/);
  const missing = await req('GET', '/pipelines/nope');
  assert.deepEqual([missing.statusCode, missing.json().id], [404, 'pipeline_not_found']);
  const unknown = await req('GET', '/no/such/route');
  assert.deepEqual([unknown.statusCode, unknown.json().id], [501, 'not_supported'], 'an endpoint Slipway lacks is not_supported, not a 404');
});

test('malformed JSON is a 400 invalid_json and the server keeps serving', async () => {
  const r = await req('POST', '/pipelines', '{"name": ');
  assert.deepEqual([r.statusCode, r.json().id], [400, 'invalid_json']);
  assert.equal((await req('GET', '/pipelines')).statusCode, 200);
});

test('test-stage config vars: PATCH sets and unsets, names are checked', async () => {
  await req('POST', '/pipelines', { name: 'cfg' });
  assert.deepEqual((await req('PATCH', '/pipelines/cfg/stage/test/config-vars', { SECRET: 's3', OTHER: 'x' })).json(), { OTHER: 'x', SECRET: 's3' });
  assert.deepEqual((await req('PATCH', '/pipelines/cfg/stage/test/config-vars', { OTHER: null })).json(), { SECRET: 's3' });
  assert.equal((await req('PATCH', '/pipelines/cfg/stage/test/config-vars', { 'bad-name': 'x' })).statusCode, 422);
  assert.equal((await req('GET', '/pipelines/cfg/stage/nostage/config-vars')).statusCode, 422);
});

test('test runs: bad bodies are refused with the field named; unknown sources and pipelines are 404', async () => {
  await req('POST', '/pipelines', { name: 'runs' });
  const bad = await req('POST', '/test-runs', { pipeline: 'runs', commit_sha: 'not-a-sha', source_blob_url: 'x' });
  assert.equal(bad.statusCode, 422);
  assert.match(bad.json().message, /commit_sha/);
  assert.match(bad.json().message, /source_blob_url/);
  const noSource = await req('POST', '/test-runs', { pipeline: 'runs', commit_sha: 'abcdef1', source_blob_url: 'http://localhost/sources/00000000-0000-4000-8000-000000000000/blob' });
  assert.deepEqual([noSource.statusCode, noSource.json().id], [404, 'source_not_found']);
  const noPipeline = await req('POST', '/test-runs', { pipeline: 'zzz', commit_sha: 'abcdef1', source_blob_url: 'http://localhost/x.tgz' });
  assert.equal(noPipeline.json().id, 'pipeline_not_found');
  assert.equal((await req('GET', '/test-runs/not-a-uuid')).json().id, 'test_run_not_found');
});

test('a source blob that is not a tarball errors the run with a clear message', async () => {
  await req('POST', '/pipelines', { name: 'junk' });
  const src = (await req('POST', '/sources', {})).json().source_blob;
  const put = await s.app.inject({ method: 'PUT', url: new URL(src.put_url).pathname + new URL(src.put_url).search, payload: 'this is not gzip', headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(put.statusCode, 200, put.body);
  const again = await s.app.inject({ method: 'PUT', url: new URL(src.put_url).pathname + new URL(src.put_url).search, payload: 'x', headers: { 'content-type': 'application/octet-stream' } });
  assert.equal(again.json().id, 'conflict', 'sources are immutable');
  const run = (await req('POST', '/test-runs', { pipeline: 'junk', commit_sha: 'abcdef1', source_blob_url: src.get_url })).json();
  assert.equal(run.status, 'errored');
  assert.match(run.message, /not a gzipped tarball/);
  assert.equal(run.number, 1);
  // ci:run's long poll for the end: an ended run is the answer at once; the wait is bounded.
  const ended = await req('GET', `/test-runs/${run.id}?wait_for_end=30`);
  assert.equal(ended.json().status, 'errored');
  assert.equal(ended.json().id, run.id);
  assert.equal((await req('GET', `/test-runs/${run.id}?wait_for_end=31`)).json().id, 'invalid_params');
});

test('signed stream URLs work without a token; a tampered signature does not', async () => {
  const src = (await req('POST', '/sources', {})).json().source_blob;
  const u = new URL(src.get_url);
  const ok = await s.app.inject({ method: 'GET', url: u.pathname + u.search });
  assert.equal(ok.statusCode, 404, 'authorised (not uploaded yet), not 401');
  const tampered = await s.app.inject({ method: 'GET', url: u.pathname + '?sig=AAAA' });
  assert.equal(tampered.statusCode, 401);
});

test('Heroku protocol: Range pages lists with Next-Range and 206; RateLimit-Remaining; Heroku ids for Heroku clients', async () => {
  for (const n of ['range-a', 'range-b', 'range-c']) assert.equal((await req('POST', '/pipelines', { name: n })).statusCode, 201);
  const heroku = { accept: 'application/vnd.heroku+json; version=3', authorization: `Bearer ${TOKEN}` };
  const first = await s.app.inject({ method: 'GET', url: '/pipelines', headers: { ...heroku, range: 'name ..; max=2' } });
  assert.equal(first.statusCode, 206);
  assert.equal(first.headers['ratelimit-remaining'], '4500');
  const names = (first.json() as { name: string }[]).map((p) => p.name);
  assert.equal(names.length, 2);
  assert.deepEqual(names, [...names].sort());
  const next = String(first.headers['next-range']);
  assert.match(next, /^name \]\S+\.\.; max=2, order=asc$/);
  const rest = await s.app.inject({ method: 'GET', url: '/pipelines', headers: { ...heroku, range: next } });
  assert.ok([200, 206].includes(rest.statusCode));
  assert.ok((rest.json() as { name: string }[]).every((p) => !names.includes(p.name)), 'the next page starts after the last one');
  const bad = await s.app.inject({ method: 'GET', url: '/pipelines', headers: { ...heroku, range: 'name ..; max=zero' } });
  assert.deepEqual([bad.statusCode, bad.json().id], [422, 'invalid_params']);
  const missing = await s.app.inject({ method: 'GET', url: '/pipelines/nope', headers: heroku });
  assert.deepEqual([missing.statusCode, missing.json().id], [404, 'not_found'], 'Heroku\'s id for a Heroku client');
  assert.equal((await req('GET', '/pipelines/nope')).json().id, 'pipeline_not_found', 'Slipway\'s own id otherwise');
  const account = (await req('GET', '/account')).json();
  assert.equal(account.email, 'admin@slipway.local');
  assert.match(account.id, /^[0-9a-f-]{36}$/);
});
