// Defects on the flow's edges (issue "The flow's edges happen exactly once", item 6), each through
// the real server and CLI: a push whose run errors at once, SOURCE_VERSION, API error ids, and a
// test run from an external source URL (a loopback HTTP server) reading its app.json.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, gitPush, TOKEN, type TestServer } from '../helpers/server.js';
import { exampleRepo, repoWithBuildpack } from '../helpers/apps.js';
import { nodesOf, waitFor, waitForStatus, type RunJson } from '../helpers/runs.js';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFileSync } from 'node:child_process';

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
  const repo = repoWithBuildpack({}, 'echo "SOURCE_VERSION=$SOURCE_VERSION"; printf "worker: sleep 600\\n" > "$1/Procfile"');
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

test('POST /test-runs with an external source_blob_url reads that source\'s app.json (nodes, script, env, timeout)', { timeout: 120_000 }, async () => {
  const repo = repoWithBuildpack({ environments: { test: {
    scripts: { test: 'echo "external app.json read on node $CI_NODE_INDEX with $EDGES_FLAVOUR"' }, env: { EDGES_FLAVOUR: 'mint' },
    formation: { test: { quantity: 2 } }, timeout: 7 } } }, 'echo compiled');
  repos.push(repo);
  const tarball = execFileSync('git', ['archive', '--format=tar.gz', 'HEAD'], { cwd: repo });
  const source = http.createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/gzip' }).end(tarball); });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', () => r()));
  try {
    assert.equal((await cli(s, ['pipelines:create', 'edges-ext'])).code, 0);
    const created = await api<RunJson>(s, 'POST', '/test-runs', {
      pipeline: 'edges-ext', commit_branch: 'main', commit_sha: '0123456789abcdef0123456789abcdef01234567', commit_message: 'external',
      source_blob_url: `http://127.0.0.1:${(source.address() as AddressInfo).port}/source.tgz`,
    });
    assert.equal(created.status, 201, JSON.stringify(created.json));
    const ended = await waitForStatus(s, created.json.id, ['succeeded', 'failed', 'errored'], 60_000);
    assert.equal(ended.status, 'succeeded', ended.message ?? '');
    assert.equal(ended.node_total, 2, 'formation.test.quantity of the external app.json');
    assert.equal((await nodesOf(s, ended.id)).length, 2);
    const run = (await api<{ timeout_seconds: number }>(s, 'GET', `/test-runs/${ended.id}`)).json;
    const info = await cli(s, ['ci:info', String(ended.number), '-p', 'edges-ext']);
    assert.match(info.stdout, /external app\.json read on node 0 with mint/);
    const second = await cli(s, ['ci:info', String(ended.number), '-p', 'edges-ext', '--node', '1']);
    assert.match(second.stdout, /external app\.json read on node 1 with mint/);
    assert.equal(run.timeout_seconds, 7, 'the external app.json\'s timeout');
  } finally {
    source.closeAllConnections();
    await new Promise((r) => source.close(r));
  }
});
