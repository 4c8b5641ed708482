// Defects on the flow's edges (issue "The flow's edges happen exactly once", item 6), each through
// the real server and CLI: a push whose run errors at once, SOURCE_VERSION, and API error ids.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, gitPush, TOKEN, type TestServer } from '../helpers/server.js';
import { exampleRepo, repoWithBuildpack } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';

let s: TestServer;
const repos: string[] = [];
before(async () => { s = await startServer(); });
after(async () => { await s?.stop(); for (const r of repos) fs.rmSync(r, { recursive: true, force: true }); });

interface EventJson { kind: string; message: string }

test('a push whose test run errors at once (invalid app.json) leaves no deploy waiting: it is skipped, the push says why', { timeout: 120_000 }, async () => {
  const repo = exampleRepo('web-app', (d) => fs.writeFileSync(path.join(d, 'app.json'), '{ "environments": { "test": '));
  repos.push(repo);
  for (const args of [['pipelines:create', 'edges'], ['apps:create', 'edges-dev'], ['pipelines:add', 'edges', '-a', 'edges-dev'], ['pipelines:update', '-p', 'edges', '--wait-for-ci', 'on'], ['git:remote', '-a', 'edges-dev']]) {
    const r = await cli(s, args, { cwd: repo });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  const push = await gitPush(s, repo, ['slipway', 'main']);
  assert.match(push.output, /Test run #1 started/);
  const events = async () => (await api<EventJson[]>(s, 'GET', '/pipelines/edges/events')).json;
  await waitFor('the deploy to be skipped', async () => (await events()).some((e) => e.kind === 'deploy-skipped'), 30_000);
  const skipped = (await events()).find((e) => e.kind === 'deploy-skipped')!;
  assert.match(skipped.message, /Not deploying [0-9a-f]{7} to edges-dev: test run #1 errored/);
  assert.match(push.output, /Not deployed: test run #1 errored/);
});

test('SOURCE_VERSION in a build is the commit\'s SHA, as on Heroku', { timeout: 120_000 }, async () => {
  const repo = repoWithBuildpack({}, 'echo "SOURCE_VERSION=$SOURCE_VERSION"; printf "web: sleep 600\\n" > "$1/Procfile"');
  repos.push(repo);
  assert.equal((await cli(s, ['apps:create', 'edges-sv'], { cwd: repo })).code, 0);
  assert.equal((await cli(s, ['git:remote', '-a', 'edges-sv'], { cwd: repo })).code, 0);
  const sha = (await import('node:child_process')).execFileSync('git', ['rev-parse', 'HEAD'], { cwd: repo, encoding: 'utf8' }).trim();
  const push = await gitPush(s, repo, ['slipway', 'main']);
  assert.match(push.output, new RegExp(`SOURCE_VERSION=${sha}\\s`), push.output);
});

test('only a body that is not JSON is invalid_json; an error inside a handler keeps its own id', { timeout: 30_000 }, async () => {
  const post = (body: string) => fetch(`${s.url}/apps`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body });
  const bad = await post('{"name": ');
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { id: string }).id, 'invalid_json');
  const wrong = await post('{"name": 42}');
  assert.equal(wrong.status, 422);
  assert.equal(((await wrong.json()) as { id: string }).id, 'invalid_params');
});
