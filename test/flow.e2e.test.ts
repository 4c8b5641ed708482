// The case study end to end, with real git, a real server, the real CLI, a real Postgres add-on:
// git push → CI passes → development deploys (only after CI) → QA gets the same slug automatically
// → promotion to staging → acceptance run recorded → promotion to production runs the release
// phase (a migration) and serves the new version; then a push whose production migration fails
// leaves production serving its previous release.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, viaRouter, gitPush as pushAsUser, TOKEN, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { steadyLoad } from './helpers/load.js';
import { needs } from './helpers/tools.js';

interface ReleaseJson { id: string; version: number; status: string; current: boolean; description: string; slug: { id: string } | null; created_at: string }
interface RunJson { id: string; number: number; status: string; kind: string; commit_sha: string; finished_at: string | null; counts: Record<string, number> }
interface BuildJson { id: string; created_at: string; source_blob: { version: string | null } }
interface EventJson { kind: string; message: string }

let s: TestServer;
let repo: string;
const P = 'flow';
const [DEV, QA, STG, PROD] = ['flow-dev', 'flow-qa', 'flow-staging', 'flow-prod'];
const run = (args: string[]) => cli(s, args, { cwd: repo });

const gitPush = (args: string[]) => pushAsUser(s, repo, args);

const releases = async (app: string) => (await api<ReleaseJson[]>(s, 'GET', `/apps/${app}/releases`)).json;
const current = async (app: string) => (await releases(app)).find((r) => r.current);
const runs = async () => (await api<RunJson[]>(s, 'GET', `/pipelines/${P}/test-runs`)).json;
const events = async () => (await api<EventJson[]>(s, 'GET', `/pipelines/${P}/events`)).json;


before(async () => {
  s = await startServer();
  repo = exampleRepo('pipeline-app');
});
after(async () => { await s?.stop(); });

test('the case study: push, CI, development, qa, staging with acceptance, production with its release phase', { timeout: 600_000, skip: needs('postgres') }, async () => {
  assert.equal((await run(['pipelines:create', P])).code, 0);
  for (const app of [DEV, QA, STG, PROD]) assert.equal((await run(['apps:create', app])).code, 0);
  for (const app of [DEV, QA, STG, PROD]) {
    const r = await run(['pipelines:add', P, '-a', app]);
    assert.equal(r.code, 0, r.stderr);
  }
  const info = await run(['pipelines:info', P]);
  assert.match(info.stdout, /development\s+flow-dev/);
  assert.match(info.stdout, /qa\s+flow-qa/);
  assert.match(info.stdout, /production\s+flow-prod/);
  const addon = await run(['addons:create', 'heroku-postgresql', '-a', PROD]);
  assert.equal(addon.code, 0, addon.stderr);
  assert.match(addon.stdout, /DATABASE_URL/);
  const upd = await run(['pipelines:update', '-p', P, '--wait-for-ci', 'on', '--auto-promote', 'on', '--acceptance-command', 'node acceptance.js']);
  assert.equal(upd.code, 0, upd.stderr);

  // 1. git push: CI first, then the development deploy, all in the push output.
  assert.equal((await run(['git:remote', '-a', DEV])).code, 0);
  assert.doesNotMatch(fs.readFileSync(path.join(repo, '.git/config'), 'utf8'), new RegExp(TOKEN), 'no token in .git/config');
  const push = await gitPush(['slipway', 'main']);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: -----> Test run #1 started/);
  assert.match(push.output, /remote: -----> Waiting for test run #1 to pass before deploying/);
  assert.match(push.output, /remote:\s+Test run #1 succeeded: 2 passed, 0 failed/);
  assert.match(push.output, /remote: -----> Running release command/);
  assert.match(push.output, /remote: no database attached: nothing to migrate/);
  assert.match(push.output, /remote: -----> Released v2/);
  const ci1 = (await runs()).find((r) => r.number === 1)!;
  assert.equal(ci1.status, 'succeeded');
  const [devBuild] = (await api<BuildJson[]>(s, 'GET', `/apps/${DEV}/builds`)).json;
  assert.ok(devBuild!.created_at >= ci1.finished_at!, `the build (${devBuild!.created_at}) started only after CI finished (${ci1.finished_at})`);
  const dev = await current(DEV);
  assert.ok(dev?.slug);
  assert.match((await viaRouter(s, DEV)).body, /version=one; schema=none/);

  // 2. QA gets the same slug by itself.
  const qa = await waitFor('auto-promotion to qa', async () => { const r = await current(QA); return r?.slug ? r : undefined; }, 120_000);
  assert.equal(qa.slug!.id, dev!.slug!.id, 'QA runs the very slug development built');
  assert.match(qa.description, /Promote flow-dev v2/);

  // 3. Promotion to staging; the acceptance suite runs against it and is recorded as a test run.
  const toStaging = await run(['pipelines:promote', '-a', QA]);
  assert.equal(toStaging.code, 0, toStaging.stderr + toStaging.stdout);
  assert.match(toStaging.stdout, /flow-staging: released v2/);
  assert.equal((await current(STG))!.slug!.id, dev!.slug!.id);
  const acceptance = await waitFor('the acceptance run', async () => (await runs()).find((r) => r.kind === 'acceptance' && ['succeeded', 'failed', 'errored'].includes(r.status)), 180_000);
  assert.equal(acceptance.status, 'succeeded');
  assert.equal(acceptance.counts['passed'], 2);
  await waitFor('the acceptance event', async () => (await events()).some((e) => e.message === `${STG} v2: acceptance passed (test run #${acceptance.number})`));

  // 4. Promotion to production runs the migration against the Postgres add-on, then serves.
  const diff = await run(['pipelines:diff', '-a', STG]);
  assert.equal(diff.code, 0, diff.stderr);
  const toProd = await run(['pipelines:promote', '-a', STG]);
  assert.equal(toProd.code, 0, toProd.stderr + toProd.stdout);
  const prod = (await current(PROD))!;
  assert.equal(prod.slug!.id, dev!.slug!.id, 'production runs the slug development built: nothing rebuilt');
  const out = await run(['releases:output', `v${prod.version}`, '-a', PROD]);
  assert.match(out.stdout, /migrating 001_items/);
  assert.match(out.stdout, /schema at 001_items/);
  const served = await waitFor('production to serve', async () => { const r = await viaRouter(s, PROD); return r.status === 200 ? r : undefined; });
  assert.match(served.body, /version=one; schema=001_items/);

  // 5. A new version whose migration fails in production (the only stage with a database).
  fs.writeFileSync(path.join(repo, 'lib.js'), fs.readFileSync(path.join(repo, 'lib.js'), 'utf8').replace("'one'", "'two'"));
  fs.writeFileSync(path.join(repo, 'migrations/002_price.sql'), 'ALTER TABLE items ADD COLUMN price integer;\nALTER TABLE items ADD COLUMN price integer;\n');
  const sha2 = commitAll(repo, 'version two, with a broken migration');
  const push2 = await gitPush(['slipway', 'main']);
  assert.equal(push2.code, 0, push2.output);
  assert.match(push2.output, /Test run #\d+ succeeded/);
  const qa2 = await waitFor('qa to get version two', async () => { const r = await current(QA); return r && r.version > qa.version ? r : undefined; }, 120_000);
  assert.notEqual(qa2.slug!.id, dev!.slug!.id);
  assert.equal((await run(['pipelines:promote', '-a', QA])).code, 0);
  const diff2 = await run(['pipelines:diff', '-a', STG]);
  assert.match(diff2.stdout, new RegExp(`${sha2.slice(0, 7)}.*version two, with a broken migration`));

  const load = steadyLoad(s, PROD, (r) => r.status === 200 && r.body.includes('version=one'), { intervalMs: 25 });
  const failed = await run(['pipelines:promote', '-a', STG]);
  const { failures, served: during } = await load.stop();
  assert.equal(failed.code, 1, 'a failed promotion target fails the command');
  assert.match(failed.stdout, /flow-prod: failed/);
  assert.equal(failures, 0, `production kept answering with version one during the failed release (${during} requests)`);
  assert.ok(during > 0);
  const after = (await current(PROD))!;
  assert.equal(after.id, prod.id, 'production stays on its previous release');
  const latest = (await releases(PROD))[0]!;
  assert.equal(latest.status, 'failed');
  const failedOut = await run(['releases:output', `v${latest.version}`, '-a', PROD]);
  assert.match(failedOut.stdout, /column "price" of relation "items" already exists/);
  assert.match((await viaRouter(s, PROD)).body, /version=one; schema=001_items/);
  assert.ok((await events()).some((e) => e.kind === 'promotion' && e.message.startsWith(`${PROD} v${latest.version} failed`)));
});

test('a push is rejected when its build fails, and a push of another branch is tested but not deployed', { timeout: 300_000 }, async () => {
  const r = await run(['pipelines:update', '-p', P, '--wait-for-ci', 'off']);
  assert.equal(r.code, 0);
  const before = (await current(DEV))!;
  fs.writeFileSync(path.join(repo, 'package.json'), '{ "name": broken json');
  commitAll(repo, 'break package.json');
  const bad = await gitPush(['slipway', 'HEAD:main']);
  assert.notEqual(bad.code, 0, 'the push is rejected');
  assert.match(bad.output, /Push rejected to flow-dev: the build failed/);
  assert.match(bad.output, /pre-receive hook declined/);
  assert.equal((await current(DEV))!.id, before.id);

  const other = await gitPush(['slipway', 'HEAD:refs/heads/feature-x']);
  assert.equal(other.code, 0, other.output);
  assert.match(other.output, /Test run #\d+ started/);
  assert.match(other.output, /deploys main only, so this push was not deployed/);
  assert.equal((await current(DEV))!.id, before.id);
});
