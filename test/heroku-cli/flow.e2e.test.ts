// The official heroku CLI driving Slipway's flow: a pipeline made and changed with pipelines:*,
// a promotion from development to staging, and a real CI run's results through ci:*.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cli, api } from '../helpers/server.js';
import { exampleRepo, git } from '../helpers/apps.js';
import { startHerokuServer, heroku, type HerokuServer } from './helpers.js';

let s: HerokuServer;
let ciDir: string;
const P = 'hkshop';
const DEV = 'hkshop-dev';
const STAGING = 'hkshop-staging';
const h = (...args: string[]) => heroku(s, args);

before(async () => { s = await startHerokuServer(); });
after(async () => { await s.stop(); });

test('pipelines:create (non-interactive with --stage), pipelines:add, pipelines, pipelines:info', { timeout: 180_000 }, async () => {
  for (const a of [DEV, STAGING]) assert.equal((await h('apps:create', a)).code, 0);
  const b = await cli(s, ['builds:create', '-a', DEV], { cwd: exampleRepo('web-app') });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const c = await h('pipelines:create', P, '-a', DEV, '--stage', 'development');
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stderr, /Creating hkshop pipeline\.\.\. done/);
  assert.match(c.stderr, /Adding hkshop-dev to hkshop pipeline as development\.\.\. done/);
  const add = await h('pipelines:add', P, '-a', STAGING, '--stage', 'staging');
  assert.equal(add.code, 0, add.stderr);
  assert.match(add.stderr, /Adding hkshop-staging to hkshop pipeline as staging\.\.\. done/);
  assert.match((await h('pipelines')).stdout, /^hkshop$/m);
  const info = await h('pipelines:info', P);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /=== hkshop/);
  assert.match(info.stdout, /hkshop-dev\s+development/);
  assert.match(info.stdout, /hkshop-staging\s+staging/);
  const dup = await h('pipelines:create', P, '-a', STAGING, '--stage', 'staging');
  assert.notEqual(dup.code, 0);
  assert.match(dup.stderr, /taken|already/i);
});

test('pipelines:promote: development → staging with the same slug', { timeout: 180_000 }, async () => {
  const r = await h('pipelines:promote', '-a', DEV);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout + r.stderr, /Starting promotion to staging/);
  assert.match(r.stdout, /migrations done/, 'the staging release phase ran, its output shown');
  assert.match(r.stdout, /Promotion successful\nhkshop-staging: succeeded/);
  const slugOf = async (app: string) => (await api<{ slug: { id: string } | null }[]>(s, 'GET', `/apps/${app}/releases`)).json.find((x) => x.slug)?.slug?.id;
  assert.ok(await slugOf(DEV));
  assert.equal(await slugOf(STAGING), await slugOf(DEV));
  const rel = await h('releases', '-a', STAGING);
  assert.match(rel.stdout, /v2\s+Promote hkshop-dev v\d+/);
});

test('pipelines:diff needs GitHub through Heroku: it fails with a readable message', { timeout: 60_000 }, async () => {
  const r = await h('pipelines:diff', '-a', DEV);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /not seem to be connected to GitHub/);
});

test('pipelines:remove takes an app out; pipelines:info shows the rest', { timeout: 60_000 }, async () => {
  const r = await h('pipelines:remove', '-a', STAGING);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Removing hkshop-staging\.\.\. done/);
  const info = await h('pipelines:info', P);
  assert.match(info.stdout, /hkshop-dev\s+development/);
  assert.doesNotMatch(info.stdout, /hkshop-staging/);
});

test('ci:config:set/get/unset work on the pipeline\'s test stage', { timeout: 60_000 }, async () => {
  const set = await h('ci:config:set', 'SUITE_MODE=strict', '--pipeline', P);
  assert.equal(set.code, 0, set.stderr);
  assert.equal((await h('ci:config:get', 'SUITE_MODE', '--pipeline', P)).stdout, 'strict\n');
  assert.match((await h('ci:config', '--pipeline', P)).stdout, /SUITE_MODE:\s+strict/);
  const pid = (await api<{ id: string }>(s, 'GET', `/pipelines/${P}`)).json.id;
  assert.equal((await api<Record<string, string>>(s, 'GET', `/pipelines/${pid}/stage/test/config-vars`)).json['SUITE_MODE'], 'strict');
});

test('ci, ci:info, ci:last show a real run\'s results and exit with its code', { timeout: 240_000 }, async () => {
  ciDir = exampleRepo('node-tap-mixed');
  const dir = ciDir;
  const sha = git(dir, 'rev-parse', 'HEAD');
  const run = await cli(s, ['ci:run', '-p', P], { cwd: dir });
  assert.equal(run.code, 1, 'the example has a failing test');
  assert.match(run.stdout, /Test run #1 failed: 3 passed, 1 failed, 1 skipped, 1 todo/);
  const list = await h('ci', '--pipeline', P);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /=== Showing latest test runs for the hkshop pipeline/);
  assert.match(list.stdout, new RegExp(`✗\\s+1\\s+main\\s+${sha.slice(0, 7)}\\s+failed`));
  for (const args of [['ci:info', '1', '--pipeline', P], ['ci:last', '--pipeline', P]]) {
    const r = await h(...args);
    assert.equal(r.code, 1, `${args[0]} exits with the test node's exit code\n${r.stderr}`);
    assert.match(r.stdout, /# pass 3/);
    assert.match(r.stdout, /# fail 1/);
    assert.match(r.stdout, new RegExp(`✗ #1 main:${sha.slice(0, 7)} failed`));
  }
  const none = await h('ci:info', '99', '--pipeline', P);
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /Error ID: not_found/);
});

test('ci:rerun asks Heroku\'s GitHub service (a host the CLI hard-codes) and stops with a readable error', { timeout: 120_000 }, async () => {
  const r = await heroku(s, ['ci:rerun', '1', '--pipeline', P], { cwd: ciDir });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /Rerunning test run #1/);
  assert.match(r.stderr, /ENOTFOUND kolkrabbi\.heroku\.com/);
});
