// The official heroku CLI driving Slipway's apps: account, apps, config, releases, dynos, logs,
// add-ons, one-off dynos, and readable failures for what Slipway does not support.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cli, api } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { startHerokuServer, heroku, herokuLive, type HerokuServer } from './helpers.js';

let s: HerokuServer;
let dir: string;
const A = 'hk-web';
const h = (...args: string[]) => heroku(s, args);
// Heroku's app schema (Platform API v3 `app`), and Slipway's web_url through its router.
const HEROKU_APP_FIELDS = ['acm', 'archived_at', 'build_stack', 'buildpack_provided_description', 'create_status', 'created_at', 'generation', 'git_url', 'id', 'internal_routing',
  'maintenance', 'name', 'organization', 'owner', 'region', 'released_at', 'repo_size', 'slug_size', 'space', 'stack', 'team', 'updated_at', 'web_url'];

before(async () => {
  s = await startHerokuServer();
  dir = exampleRepo('web-app');
});
after(async () => { await s.stop(); });

test('auth:whoami prints the token account', async () => {
  const r = await h('auth:whoami');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'admin@slipway.local\n');
});

test('apps:create, apps, apps:info (text and --json)', async () => {
  const c = await h('apps:create', A);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr + c.stdout, /Creating hk-web\.\.\. done/);
  // The web URL is Slipway's router; the CLI builds the git URL itself from HEROKU_HOST.
  assert.match(c.stdout, /^http:\/\/hk-web\.localhost:\d+\/ \| https:\/\/127\.0\.0\.1:\d+\/hk-web\.git$/m);
  const list = await h('apps');
  assert.match(list.stdout, /=== admin@slipway\.local Apps/);
  assert.match(list.stdout, /hk-web \(local\)/);
  const info = await h('apps:info', '-a', A);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /Owner:\s+admin@slipway\.local/);
  assert.match(info.stdout, /Region:\s+local/);
  assert.match(info.stdout, /Stack:\s+heroku-24/);
  const json = JSON.parse((await h('apps:info', '-a', A, '--json')).stdout) as { app: { name: string; id: string; git_url: string } };
  assert.equal(json.app.name, A);
  assert.match(json.app.id, /^[0-9a-f-]{36}$/);
  const dup = await h('apps:create', A);
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /An app named "hk-web" already exists/);
  assert.match(dup.stderr, /Error ID: conflict/);
});

test('config:set, config:get, config, config:unset: each change is a release', async () => {
  const set = await h('config:set', 'GREETING=hola', 'EXTRA=1', '-a', A);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stderr, /Setting GREETING, EXTRA and restarting hk-web\.\.\. done, v2/);
  assert.equal((await h('config:get', 'GREETING', '-a', A)).stdout, 'hola\n');
  assert.match((await h('config', '-a', A)).stdout, /GREETING:\s+hola/);
  const unset = await h('config:unset', 'EXTRA', '-a', A);
  assert.match(unset.stderr, /Unsetting EXTRA and restarting hk-web\.\.\. done, v3/);
  assert.equal((await api<Record<string, string>>(s, 'GET', `/apps/${A}/config-vars`)).json['EXTRA'], undefined);
});

test('after a build: releases, releases:info, releases:output, ps, ps:scale, ps:restart', { timeout: 180_000 }, async () => {
  const b = await cli(s, ['builds:create', '-a', A], { cwd: dir });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const rel = await h('releases', '-a', A);
  assert.equal(rel.code, 0, rel.stderr);
  assert.match(rel.stdout, /=== hk-web Releases - Current: v4/);
  assert.match(rel.stdout, /v4\s+Deploy [0-9a-f]{7}\s+admin@slipway\.local/, 'the By column');
  assert.match(rel.stdout, /v2\s+Set GREETING, EXTRA config vars/);
  const info = await h('releases:info', 'v4', '-a', A);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /=== Release v4/);
  assert.match(info.stdout, /Change:\s+Deploy [0-9a-f]{7}/);
  assert.match(info.stdout, /GREETING:\s+hola/, 'the release\'s own config vars');
  const out = await h('releases:output', 'v4', '-a', A);
  assert.match(out.stdout, /migrations done/);
  // The app list (read for all apps at once) shows every field of Heroku's app schema, the same as the
  // app itself: the current release's slug size and time, the owner, a repository never pushed to (0 bytes).
  assert.equal((await api(s, 'POST', '/apps', { name: 'hk-other' })).status, 201);
  const listed = (await api<Array<Record<string, unknown>>>(s, 'GET', '/apps')).json;
  assert.deepEqual(listed.map((a) => a.name), ['hk-other', A]);
  const shown = listed.find((a) => a.name === A)!;
  assert.deepEqual(shown, (await api(s, 'GET', `/apps/${A}`)).json);
  assert.deepEqual(Object.keys(shown).sort(), HEROKU_APP_FIELDS);
  const v4 = (await api<{ slug: { id: string }; created_at: string }>(s, 'GET', `/apps/${A}/releases/4`)).json;
  assert.equal(shown['slug_size'], (await api<{ size: number }>(s, 'GET', `/apps/${A}/slugs/${v4.slug.id}`)).json.size);
  assert.ok(Number(shown['slug_size']) > 0);
  assert.equal(shown['released_at'], v4.created_at);
  assert.deepEqual([(shown['owner'] as { email: string }).email, shown['repo_size'], shown['region']], ['admin@slipway.local', 0, { id: '00000000-0000-4000-8000-000000000001', name: 'local' }]);
  const other = listed.find((a) => a.name === 'hk-other')!;
  const otherV1 = (await api<Array<{ current: boolean; created_at: string }>>(s, 'GET', '/apps/hk-other/releases')).json.find((r) => r.current);
  assert.deepEqual([other['slug_size'], other['repo_size'], other['released_at']], [null, 0, otherV1?.created_at], 'no slug yet; released at its first (config-only) release');
  const list = await h('apps', '--json');
  assert.deepEqual((JSON.parse(list.stdout) as Array<{ name: string }>).map((a) => a.name), ['hk-other', A]);
  assert.equal((await api(s, 'DELETE', '/apps/hk-other')).status, 200);
  const ps = await waitFor('web.1 up', async () => { const r = await h('ps', '-a', A); return /web\.1: up/.test(r.stdout) ? r : undefined; });
  assert.match(ps.stdout, /=== web \(standard-1x\): node server\.js \(1\)/);
  const scale = await h('ps:scale', 'web=2', '-a', A);
  assert.equal(scale.code, 0, scale.stderr);
  assert.match(scale.stderr + scale.stdout, /now running web at 2:standard-1x/);
  await waitFor('web.2 up', async () => /web\.2: up/.test((await h('ps', '-a', A)).stdout));
  const restart = await h('ps:restart', '-a', A);
  assert.equal(restart.code, 0, restart.stderr);
  assert.match(restart.stderr, /Restarting all dynos on hk-web\.\.\. done/);
  const bad = await h('ps:scale', 'worker=1', '-a', A);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /No process type "worker"/);
});

test('releases:rollback makes a new release with the old code and config', { timeout: 120_000 }, async () => {
  assert.equal((await h('config:set', 'STAGE=two', '-a', A)).code, 0);
  const r = await h('releases:rollback', 'v4', '-a', A);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr + r.stdout, /Rolling back hk-web to v4\.\.\. done, v6/);
  const v6 = await h('releases:info', 'v6', '-a', A);
  assert.match(v6.stdout, /Change:\s+Rollback to v4/);
  assert.match(v6.stdout, /GREETING:\s+hola/);
  assert.doesNotMatch(v6.stdout, /STAGE/, 'v4\'s config, without the later var');
});

test('logs prints the app log; logs --tail follows new lines until stopped', { timeout: 120_000 }, async () => {
  const logs = await h('logs', '-a', A, '-n', '200');
  assert.equal(logs.code, 0, logs.stderr);
  assert.match(logs.stdout, /app\[web\.1\]: listening on \d+/);
  const web = await h('logs', '-a', A, '-n', '200', '--dyno', 'web');
  assert.ok(web.stdout.split('\n').filter(Boolean).every((l) => /\[web\.\d\]/.test(l)), web.stdout);
  const tail = herokuLive(s, ['logs', '--tail', '-a', A, '-n', '1']);
  try {
    await waitFor('the tail to start', async () => tail.output().length > 0, 30_000);
    assert.equal((await h('config:set', 'TAILED=yes', '-a', A)).code, 0);
    await waitFor('the new release in the tail', async () => /app\[api\]: Release v7 succeeded/.test(tail.output()), 30_000);
    assert.equal(tail.proc.exitCode, null, 'still following');
  } finally { await tail.stop(); }
});

test('addons: create, list, destroy an app add-on', { timeout: 120_000 }, async () => {
  assert.match((await h('addons', '-a', A)).stdout, /No add-ons for app hk-web\./);
  const c = await h('addons:create', 'heroku-redis:mini', '-a', A);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout + c.stderr, /Created heroku-redis-[0-9a-f]{8} as REDIS_URL/);
  const list = await h('addons', '-a', A);
  assert.match(list.stdout, /heroku-redis \(heroku-redis-[0-9a-f]{8}\)\s+mini\s+free/);
  assert.match(list.stdout, /as REDIS/);
  const d = await h('addons:destroy', 'heroku-redis', '-a', A, '--confirm', A);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stderr, /Destroying heroku-redis-[0-9a-f]{8} on hk-web\.\.\. done/);
  assert.match((await h('addons', '-a', A)).stdout, /No add-ons/);
});

test('run attaches to a one-off dyno over rendezvous; --exit-code passes its exit code; run:detached', { timeout: 120_000 }, async () => {
  const r = await h('run', '-a', A, 'echo "hello from $DYNO with $GREETING"');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^hello from run\.\d+ with hola$/m, 'the command ran in the app\'s release, output streamed back');
  const failed = await h('run', '--exit-code', '-a', A, 'sh -c "exit 3"');
  assert.equal(failed.code, 3, failed.stderr);
  assert.match(failed.stderr, /Process exited with code 3/);
  const d = await h('run:detached', '-a', A, 'echo', 'detached-hello');
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stderr + d.stdout, /done, run\.\d+/);
});

test('missing things are clean 404s; unsupported commands say so', { timeout: 120_000 }, async () => {
  const missing = await h('apps:info', '-a', 'no-such-app');
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /Couldn't find an app named "no-such-app"/);
  assert.match(missing.stderr, /Error ID: not_found/);
  for (const args of [['features', '-a', A]]) {
    const r = await h(...args);
    assert.notEqual(r.code, 0, args.join(' '));
    assert.match(r.stderr, /Slipway does not support [A-Z]+ \/\S+;/, args.join(' '));
    assert.match(r.stderr, /docs\/heroku-cli\.md/);
    assert.match(r.stderr, /Error ID: not_supported/);
  }
  // apps:errors asks a Heroku metrics host the CLI hard-codes: it fails plainly, never reaching Slipway's token elsewhere.
  const errors = await h('apps:errors', '-a', A);
  assert.equal(errors.code, 1);
  assert.match(errors.stderr, /ENOTFOUND api\.metrics\.herokai\.com/);
});

test('apps:destroy removes the app', { timeout: 60_000 }, async () => {
  const d = await h('apps:destroy', '-a', A, '--confirm', A);
  assert.equal(d.code, 0, d.stderr);
  assert.match(d.stderr, /Destroying hk-web \(including all add-ons\)\.\.\. done/);
  assert.equal((await api(s, 'GET', `/apps/${A}`)).status, 404);
});
