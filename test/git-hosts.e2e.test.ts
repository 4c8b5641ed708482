// GitLab and Gitea/Forgejo end to end: deliveries in the shapes their documentation gives, proved
// with each host's own scheme (X-Gitlab-Token; X-Gitea-Signature / X-Forgejo-Signature), sent to the
// real server; the commit comes from a local bare repository over HTTP; commit statuses are caught
// by a loopback receiver standing in for each host's API; merge/pull requests get review apps.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { startServer, cli, api, viaRouter, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll, git } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { serveGitRepo, type GitHttp } from './helpers/git-http.js';
import { signGiteaBody } from '../src/integrations/host-signatures.js';
import { signBody } from '../src/integrations/github-signature.js';
import { needs } from './helpers/tools.js';

interface RunJson { number: number; status: string; commit_sha: string }
interface ReviewAppJson { pr_number: number; status: string; app: { name: string } | null }
interface StatusCall { path: string; headers: http.IncomingHttpHeaders; body: Record<string, string> }

let s: TestServer;
let work: string;
let origin: GitHttp;
let receiver: http.Server;
let statusApi: string;
const statuses: StatusCall[] = [];

const run = (args: string[]) => cli(s, args, { cwd: work });
const runs = async (p: string) => (await api<RunJson[]>(s, 'GET', `/pipelines/${p}/test-runs`)).json;
const publish = () => { git(work, 'push', '-q', '--all', origin.bare); git(origin.bare, 'update-server-info'); };

async function post(route: string, headers: Record<string, string>, body: string) {
  const res = await fetch(`${s.url}/hooks/${route}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
}

async function setUp(p: string, provider: string, repo: string, apiPath: string): Promise<string> {
  for (const args of [['pipelines:create', p], ['apps:create', `${p}-dev`], ['pipelines:add', p, '-a', `${p}-dev`]]) assert.equal((await run(args)).code, 0, args.join(' '));
  const c = await run(['pipelines:connect', p, '--provider', provider, '--repo', repo, '--clone-url', origin.url, '--status-token', `tok-${provider}`, '--status-api-url', `${statusApi}${apiPath}`]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, new RegExp(`${s.url}/hooks/${provider}`));
  return /Secret(?: token)?:\s+([0-9a-f]{48})/.exec(c.stdout)![1]!;
}

async function reviewAppCycle(p: string, open: () => Promise<{ status: number }>, close: () => Promise<{ status: number }>, app: string, number: number) {
  assert.equal((await open()).status, 202);
  await waitFor(`review app ${app}`, async () => (await api<ReviewAppJson[]>(s, 'GET', `/pipelines/${p}/review-apps`)).json.find((r) => r.pr_number === number && r.status === 'created'), 300_000);
  await waitFor(`${app} to serve the branch`, async () => /version=two/.test((await viaRouter(s, app)).body), 120_000);
  assert.equal((await close()).status, 202);
  await waitFor(`${app} to be destroyed`, async () => (await api(s, 'GET', `/apps/${app}`)).status === 404, 120_000);
}

before(async () => {
  receiver = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => { text += c; });
    req.on('end', () => {
      statuses.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(text) as Record<string, string> });
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  statusApi = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  s = await startServer();
  work = exampleRepo('github-app');
  git(work, 'checkout', '-q', '-b', 'feature');
  fs.writeFileSync(path.join(work, 'lib.js'), fs.readFileSync(path.join(work, 'lib.js'), 'utf8').replace("'one'", "'two'"));
  commitAll(work, 'version two');
  git(work, 'checkout', '-q', 'main');
  origin = await serveGitRepo(work, 'hosts-app');
  publish();
});
after(async () => {
  await s?.stop();
  await origin?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

test('GitLab: Push Hook with X-Gitlab-Token runs CI with statuses on /projects/:id/statuses; forged tokens queue nothing; merge requests get review apps', { timeout: 600_000, skip: needs('postgres') }, async () => {
  const P = 'gl';
  const REPO = 'group/sub/hosts-app';
  const secret = await setUp(P, 'gitlab', REPO, '/api/v4');
  const sha = git(work, 'rev-parse', 'main');
  const project = { id: 42, name: 'hosts-app', path_with_namespace: REPO, git_http_url: origin.url, web_url: 'http://gitlab.test/group/sub/hosts-app' };
  const push = JSON.stringify({ object_kind: 'push', event_name: 'push', before: '0'.repeat(40), after: sha, ref: 'refs/heads/main', checkout_sha: sha, user_username: 'jsmith', project_id: 42, project,
    commits: [{ id: sha, message: 'initial\n' }], total_commits_count: 1, repository: { name: 'hosts-app', git_http_url: origin.url } });
  const hook = (token: string | null, body: string, event = 'Push Hook', id = randomUUID()) =>
    post('gitlab', { 'x-gitlab-event': event, 'x-gitlab-event-uuid': id, 'idempotency-key': id, ...(token === null ? {} : { 'x-gitlab-token': token }) }, body);

  for (const [what, r] of [['no token', await hook(null, push)], ['a wrong token', await hook('not-the-secret-token', push)], ['the secret with one more byte', await hook(`${secret}x`, push)]] as const) {
    assert.equal(r.status, 401, what);
    assert.equal(r.json['id'], 'webhook_signature_invalid', what);
  }
  const onGithub = await post('github', { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signBody(secret, push) }, push);
  assert.equal(onGithub.status, 422, 'a GitLab project\'s payload on the GitHub route names no GitHub repository');
  assert.deepEqual(await runs(P), [], 'refused deliveries queue nothing');

  const id = randomUUID();
  const ok = await hook(secret, push, 'Push Hook', id);
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  assert.equal((await hook(secret, push, 'Push Hook', id)).status, 200, 'a retried delivery (same Idempotency-Key) is taken once');
  const ci = await waitFor('the test run to end', async () => (await runs(P)).find((r) => ['succeeded', 'failed', 'errored'].includes(r.status)), 240_000);
  assert.equal(ci.status, 'succeeded');
  assert.equal((await runs(P)).length, 1);
  await waitFor('the success status', async () => statuses.some((c) => c.body['state'] === 'success' && c.path.startsWith('/api/v4')), 60_000);
  const mine = statuses.filter((c) => c.path.startsWith('/api/v4'));
  assert.deepEqual(mine.map((c) => c.path), [`/api/v4/projects/group%2Fsub%2Fhosts-app/statuses/${sha}`, `/api/v4/projects/group%2Fsub%2Fhosts-app/statuses/${sha}`]);
  assert.deepEqual(mine.map((c) => c.body['state']), ['pending', 'success']);
  for (const c of mine) {
    assert.equal(c.headers['private-token'], 'tok-gitlab');
    assert.equal(c.headers.authorization, undefined);
    assert.equal(c.body['name'], 'continuous-integration/slipway');
    assert.equal(c.body['target_url'], `${s.url}/pipelines/${P}/tests/${ci.number}`);
  }

  assert.equal((await run(['reviewapps:enable', '-p', P])).code, 0);
  const head = git(work, 'rev-parse', 'feature');
  const mr = (action: string) => JSON.stringify({ object_kind: 'merge_request', event_type: 'merge_request', user: { username: 'jsmith' }, project, repository: { name: 'hosts-app' },
    object_attributes: { id: 900, iid: 5, title: 'Version two', source_branch: 'feature', target_branch: 'main', source_project_id: 42, target_project_id: 42, state: action === 'close' ? 'closed' : 'opened', action,
      last_commit: { id: head, message: 'version two' }, source: { git_http_url: origin.url }, target: { git_http_url: origin.url } } });
  const forged = await hook('guess', mr('open'), 'Merge Request Hook');
  assert.equal(forged.status, 401);
  await reviewAppCycle(P, () => hook(secret, mr('open'), 'Merge Request Hook'), () => hook(secret, mr('close'), 'Merge Request Hook'), `${P}-pr-5`, 5);
});

test('Gitea/Forgejo: X-Gitea-Signature and X-Forgejo-Signature HMACs, statuses on /repos/{owner}/{repo}/statuses, pull requests get review apps', { timeout: 600_000, skip: needs('postgres') }, async () => {
  const P = 'gt';
  const REPO = 'team/hosts-app';
  const secret = await setUp(P, 'gitea', REPO, '/api/v1');
  const sha = git(work, 'rev-parse', 'main');
  const repository = { id: 7, owner: { id: 1, login: 'team', username: 'team' }, name: 'hosts-app', full_name: REPO, clone_url: origin.url, html_url: 'http://gitea.test/team/hosts-app' };
  const push = JSON.stringify({ ref: 'refs/heads/main', before: '0'.repeat(40), after: sha, compare_url: '', commits: [{ id: sha, message: 'initial\n' }], head_commit: { id: sha, message: 'initial\n' },
    repository, pusher: { id: 1, login: 'team', username: 'team' }, sender: { id: 1, login: 'team' } });
  const gitea = (body: string, sig: string | null, event = 'push', id = randomUUID()) => post('gitea', { 'x-gitea-event': event, 'x-gitea-delivery': id, ...(sig === null ? {} : { 'x-gitea-signature': sig }) }, body);

  for (const [what, r] of [['no signature', await gitea(push, null)], ['another secret', await gitea(push, signGiteaBody('another-secret', push))],
    ['GitHub\'s prefixed form', await gitea(push, `sha256=${signGiteaBody(secret, push)}`)], ['a tampered body', await gitea(push.replace('"team"', '"mallory"'), signGiteaBody(secret, push))]] as const) {
    assert.equal(r.status, 401, what);
    assert.equal(r.json['id'], 'webhook_signature_invalid', what);
  }
  const viaGithub = await post('github', { 'x-github-event': 'push', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signBody(secret, push) }, push);
  assert.equal(viaGithub.status, 404, 'a Gitea pipeline takes no delivery on the GitHub route');
  assert.deepEqual(await runs(P), [], 'refused deliveries queue nothing');

  // Forgejo's own headers, on its route.
  const ok = await post('forgejo', { 'x-forgejo-event': 'push', 'x-forgejo-delivery': randomUUID(), 'x-forgejo-signature': signGiteaBody(secret, push) }, push);
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  const ci = await waitFor('the test run to end', async () => (await runs(P)).find((r) => ['succeeded', 'failed', 'errored'].includes(r.status)), 240_000);
  assert.equal(ci.status, 'succeeded');
  await waitFor('the success status', async () => statuses.some((c) => c.body['state'] === 'success' && c.path.startsWith('/api/v1')), 60_000);
  const mine = statuses.filter((c) => c.path.startsWith('/api/v1'));
  assert.deepEqual(mine.map((c) => `${c.path} ${c.body['state']}`), [`/api/v1/repos/${REPO}/statuses/${sha} pending`, `/api/v1/repos/${REPO}/statuses/${sha} success`]);
  for (const c of mine) {
    assert.equal(c.headers.authorization, 'token tok-gitea');
    assert.equal(c.body['context'], 'continuous-integration/slipway');
  }

  assert.equal((await run(['reviewapps:enable', '-p', P])).code, 0);
  const head = git(work, 'rev-parse', 'feature');
  const pr = (action: string) => JSON.stringify({ action, number: 9, pull_request: { id: 90, number: 9, title: 'Version two', state: action === 'closed' ? 'closed' : 'open',
    head: { label: 'feature', ref: 'feature', sha: head, repo_id: 7, repo: repository }, base: { label: 'main', ref: 'main', sha, repo_id: 7, repo: repository }, merged: false }, repository, sender: { id: 1, login: 'team' } });
  const send = (action: string) => gitea(pr(action), signGiteaBody(secret, pr(action)), 'pull_request');
  await reviewAppCycle(P, () => send('opened'), () => send('closed'), `${P}-pr-9`, 9);
});
