// Accounts and access through the real server, the slipway CLI, git and the official heroku CLI:
// a viewer reads but cannot deploy, a deployer on one app gets 404 on another, a ci token starts a
// test run but cannot set config, revoked and expired tokens are refused at once, a rotated admin
// token stops working, and the dashboard signs in with email and password and shows only what it may.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, cli, gitPush, startServer, TOKEN, type TestServer } from './helpers/server.js';
import { heroku, startHerokuServer, type HerokuServer } from './heroku-cli/helpers.js';
import { repoWithBuildpack } from './helpers/apps.js';
import { waitForStatus, type RunJson } from './helpers/runs.js';

let s: HerokuServer;
const pw: Record<string, string> = {};
const tok: Record<string, string> = {};
const VIEWER = 'viewer@acc.test';
const DEPLOYER = 'deployer@acc.test';

const as = (token: string) => ({ env: { SLIPWAY_TOKEN: token } });
const herokuAs = (token: string) => ({ env: { HEROKU_API_KEY: token } });
async function call(token: string, method: string, p: string, body?: unknown): Promise<{ status: number; json: { id?: string; message?: string } & Record<string, unknown> }> {
  const res = await fetch(s.url + p, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : {} };
}
async function signIn(email: string, password: string): Promise<string> {
  const res = await fetch(`${s.url}/oauth/authorizations`, {
    method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`, 'content-type': 'application/json' }, body: JSON.stringify({ description: 'test sign-in' }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { access_token: { token: string } }).access_token.token;
}
const pushUrl = (token: string, app: string) => `${s.url.replace('://', `://user:${token}@`)}/${app}.git`;

before(async () => {
  s = await startHerokuServer();
  for (const email of [VIEWER, DEPLOYER]) {
    const r = await cli(s, ['users:create', email]);
    assert.equal(r.code, 0, r.stderr);
    pw[email] = /Password[^\n]*\n\n\s+(\S+)/.exec(r.stdout)![1]!;
  }
  for (const app of ['acc-one', 'acc-two']) assert.equal((await cli(s, ['apps:create', app])).code, 0);
  assert.equal((await api(s, 'POST', '/pipelines', { name: 'acc-ci' })).status, 201);
  assert.equal((await cli(s, ['access:add', VIEWER, '-a', 'acc-one', '-p', 'view'])).code, 0);
  const added = await cli(s, ['access:add', DEPLOYER, '-a', 'acc-one', '-p', 'deploy']);
  assert.match(added.stdout, /can now view, deploy acc-one/);
  tok[VIEWER] = await signIn(VIEWER, pw[VIEWER]!);
  tok[DEPLOYER] = await signIn(DEPLOYER, pw[DEPLOYER]!);
}, { timeout: 120_000 });
after(() => s?.stop());

test('a wrong password is refused and counted; users are listed for admins only', { timeout: 60_000 }, async () => {
  const res = await fetch(`${s.url}/oauth/authorizations`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${VIEWER}:wrong`).toString('base64')}` } });
  assert.equal(res.status, 401);
  const list = await cli(s, ['users']);
  assert.match(list.stdout, /viewer@acc\.test/);
  const refused = await cli(s, ['users'], as(tok[VIEWER]!));
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /admin_only/);
});

test('a viewer can read an app but not change or deploy it (API, slipway CLI, heroku CLI, git push)', { timeout: 120_000 }, async () => {
  const v = tok[VIEWER]!;
  assert.equal((await cli(s, ['apps:info', '-a', 'acc-one'], as(v))).code, 0);
  assert.equal((await heroku(s, ['apps:info', '-a', 'acc-one'], herokuAs(v))).code, 0);
  const set = await cli(s, ['config:set', 'A=1', '-a', 'acc-one'], as(v));
  assert.notEqual(set.code, 0);
  assert.match(set.stderr, /permission_denied/);
  assert.equal((await call(v, 'GET', '/apps/acc-one/config-vars')).status, 403, 'config var values need deploy');
  const hset = await heroku(s, ['config:set', 'A=1', '-a', 'acc-one'], herokuAs(v));
  assert.notEqual(hset.code, 0);
  assert.match(hset.output, /does not include manage/);
  const repo = repoWithBuildpack({}, 'echo compiled');
  const push = await gitPush(s, repo, [pushUrl(v, 'acc-one'), 'main']);
  assert.notEqual(push.code, 0, push.output);
  assert.match(push.output, /403/);
  // The deployer pushes the same commit: the build and release happen.
  const ok = await gitPush(s, repo, [pushUrl(tok[DEPLOYER]!, 'acc-one'), 'main']);
  assert.equal(ok.code, 0, ok.output);
  const releases = await call(v, 'GET', '/apps/acc-one/releases');
  assert.equal(releases.status, 200, 'the viewer sees the release');
});

test('a deployer on one app gets 404 on another, as if it did not exist (API, CLI, heroku CLI, git, lists)', { timeout: 120_000 }, async () => {
  const d = tok[DEPLOYER]!;
  const other = await call(d, 'GET', '/apps/acc-two');
  const missing = await call(d, 'GET', '/apps/acc-nothing');
  assert.equal(other.status, 404);
  assert.equal(other.json.id, 'app_not_found');
  assert.equal(missing.json.id, other.json.id);
  for (const [m, p] of [['PATCH', '/apps/acc-two/config-vars'], ['DELETE', '/apps/acc-two'], ['POST', '/apps/acc-two/builds'], ['GET', '/apps/acc-two/releases']] as const) {
    assert.equal((await call(d, m, p, m === 'GET' || m === 'DELETE' ? undefined : {})).status, 404, `${m} ${p}`);
  }
  const info = await cli(s, ['apps:info', '-a', 'acc-two'], as(d));
  assert.notEqual(info.code, 0);
  assert.match(info.stderr, /Couldn't find that app/);
  const h = await heroku(s, ['apps:info', '-a', 'acc-two'], herokuAs(d));
  assert.notEqual(h.code, 0);
  assert.match(h.output, /Couldn't find that app/);
  const push = await gitPush(s, repoWithBuildpack({}, 'echo compiled'), [pushUrl(d, 'acc-two'), 'main']);
  assert.notEqual(push.code, 0);
  assert.match(push.output, /not found|404/i);
  const apps = await cli(s, ['apps', '--json'], as(d));
  assert.deepEqual((JSON.parse(apps.stdout) as { name: string }[]).map((a) => a.name), ['acc-one']);
  const happs = await heroku(s, ['apps', '--json'], herokuAs(d));
  assert.deepEqual((JSON.parse(happs.stdout) as { name: string }[]).map((a) => a.name), ['acc-one']);
  // pipelines:info's lookup of many apps at once (read in one pass): asked by id and by name, the other app is not there.
  const ids = await Promise.all(['acc-one', 'acc-two'].map(async (n) => (await api<{ id: string }>(s, 'GET', `/apps/${n}`)).json.id));
  const filtered = await call(d, 'POST', '/filters/apps', { in: { id: [...ids, 'acc-two'] } });
  assert.equal(filtered.status, 200);
  assert.deepEqual((filtered.json as unknown as { name: string }[]).map((a) => a.name), ['acc-one']);
});

test('a ci-scoped token starts a test run and reads it, and cannot set config or read apps', { timeout: 180_000 }, async () => {
  const created = await cli(s, ['authorizations:create', '--scope', 'ci', '-d', 'ci-bot', '--short']);
  assert.equal(created.code, 0, created.stderr);
  const ci = created.stdout.trim();
  const repo = repoWithBuildpack({ environments: { test: { scripts: { test: 'echo ok 1 - ci token; echo 1..1' } } } }, 'echo compiled');
  const run = await cli(s, ['ci:run', '-p', 'acc-ci', '--detach'], { cwd: repo, ...as(ci) });
  assert.equal(run.code, 0, run.stderr);
  const listed = await cli(s, ['ci', '-p', 'acc-ci', '--json'], as(ci));
  assert.equal(listed.code, 0, listed.stderr);
  const [first] = JSON.parse(listed.stdout) as RunJson[];
  assert.equal((await waitForStatus(s, first!.id, ['succeeded', 'failed', 'errored'], 150_000)).status, 'succeeded');
  const set = await cli(s, ['config:set', 'A=1', '-a', 'acc-one'], as(ci));
  assert.notEqual(set.code, 0);
  assert.match(set.stderr, /insufficient_scope/);
  assert.equal((await call(ci, 'GET', '/apps/acc-one')).json.id, 'insufficient_scope');
  assert.notEqual((await heroku(s, ['config:set', 'A=1', '-a', 'acc-one'], herokuAs(ci))).code, 0);
});

test('a revoked or expired token is refused at once; last_used_at is kept', { timeout: 120_000 }, async () => {
  const d = as(tok[DEPLOYER]!);
  const made = await cli(s, ['authorizations:create', '-d', 'to-revoke', '--json'], d);
  const a = JSON.parse(made.stdout) as { id: string; access_token: { token: string } };
  assert.equal((await cli(s, ['apps'], as(a.access_token.token))).code, 0);
  const list = await cli(s, ['authorizations', '--json'], d);
  const mine = (JSON.parse(list.stdout) as { id: string; last_used_at: string | null }[]).find((x) => x.id === a.id);
  assert.ok(mine?.last_used_at, 'last_used_at set by the use just made');
  assert.equal((await cli(s, ['authorizations:revoke', a.id], d)).code, 0);
  const after = await cli(s, ['apps'], as(a.access_token.token));
  assert.equal(after.code, 3, 'refused at the very next request');
  // Another user cannot see or revoke someone else's authorization.
  assert.notEqual((await cli(s, ['authorizations:revoke', a.id], as(tok[VIEWER]!))).code, 0);

  // The heroku CLI: create, use, revoke.
  const hmade = await heroku(s, ['authorizations:create', '-d', 'heroku-made', '--short'], herokuAs(tok[DEPLOYER]!));
  const ht = hmade.stdout.trim();
  assert.equal((await heroku(s, ['apps'], herokuAs(ht))).code, 0, hmade.output);
  const hlist = JSON.parse((await heroku(s, ['authorizations', '--json'], herokuAs(tok[DEPLOYER]!))).stdout) as { id: string; description: string }[];
  const hid = hlist.find((x) => x.description === 'heroku-made')!.id;
  assert.equal((await heroku(s, ['authorizations:revoke', hid], herokuAs(tok[DEPLOYER]!))).code, 0);
  assert.equal((await call(ht, 'GET', '/apps')).status, 401);

  const short = JSON.parse((await cli(s, ['authorizations:create', '-d', 'short-lived', '--expires-in', '2', '--json'], d)).stdout) as { access_token: { token: string } };
  assert.equal((await call(short.access_token.token, 'GET', '/apps')).status, 200);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await call(short.access_token.token, 'GET', '/apps')).status, 401, 'expired');
});

test('dashboard: email and password sign-in; the pipelines page lists only what the user may see', { timeout: 60_000 }, async () => {
  const form = new URLSearchParams({ email: VIEWER, token: pw[VIEWER]!, next: '/pipelines' });
  const login = await fetch(`${s.url}/login`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  assert.equal(login.status, 303);
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const page = await (await fetch(`${s.url}/pipelines`, { headers: { cookie, accept: 'text/html' } })).text();
  assert.match(page, /acc-one/);
  assert.doesNotMatch(page, /acc-two/);
  assert.doesNotMatch(page, /acc-ci/, 'a pipeline the viewer has no app in');
  assert.equal((await fetch(`${s.url}/apps/acc-two`, { headers: { cookie, accept: 'text/html' } })).status, 404);
  assert.equal((await fetch(`${s.url}/apps/acc-one`, { headers: { cookie, accept: 'text/html' } })).status, 200);
  const bad = await fetch(`${s.url}/login`, { method: 'POST', body: new URLSearchParams({ email: VIEWER, token: 'wrong', next: '/' }), headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
  assert.equal(bad.status, 401);
});

test('a rotated SLIPWAY_ADMIN_TOKEN revokes the old one; users\' tokens keep working', { timeout: 90_000 }, async () => {
  assert.equal((await call(TOKEN, 'GET', '/apps')).status, 200);
  await s.stop();
  const NEW = 'rotated-admin-token-9876543210';
  const r: TestServer = await startServer({ SLIPWAY_ADMIN_TOKEN: NEW }, s.dataDir);
  try {
    const get = async (t: string) => (await fetch(`${r.url}/apps`, { headers: { authorization: `Bearer ${t}` } })).status;
    assert.equal(await get(TOKEN), 401, 'the old admin token stopped working');
    assert.equal(await get(NEW), 200);
    assert.equal(await get(tok[DEPLOYER]!), 200);
    assert.doesNotMatch(r.output(), new RegExp(NEW), 'a configured token is never printed');
  } finally { await r.stop(); }
});
