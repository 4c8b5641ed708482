// The GitHub integration end to end: GitHub's real payloads (@octokit/webhooks-examples) rewritten
// to point at a local bare repository made with real git (served over HTTP on loopback), signed with the secret `pipelines:connect`
// printed, sent to the real server; commit statuses caught by a small HTTP receiver standing in for
// api.github.com; review apps created, served, rebuilt and destroyed from pull request events.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import { startServer, cli, api, viaRouter, gitPush, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll, git } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { serveGitRepo, type GitHttp } from './helpers/git-http.js';
import Database from 'better-sqlite3';
import { signBody } from '../src/integrations/github-signature.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

interface RunJson { id: string; number: number; status: string; commit_sha: string }
interface ReleaseJson { version: number; current: boolean; slug: { id: string } | null; description: string }
interface EventJson { kind: string; message: string }
interface ReviewAppJson { pr_number: number; status: string; message: string | null; postdeploy_done: boolean; app: { name: string } | null }
interface StatusCall { path: string; authorization: string | undefined; body: { state: string; context: string; target_url: string; description: string }; answered: number }

const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
const example = (name: string, pick: (e: Record<string, unknown>) => boolean): Record<string, any> => // eslint-disable-line @typescript-eslint/no-explicit-any
  structuredClone(examples.find((e) => e.name === name)!.examples.find(pick)!);

const P = 'gh';
const DEV = 'gh-dev';
const REPO = 'octo-org/github-app';
const STATUS_TOKEN = 'status-token-for-test';
let s: TestServer;
let work: string;
let bare: string;
let origin: GitHttp;
let secret: string;
const statuses: StatusCall[] = [];
let failNextSuccess = 1; // the receiver answers 500 to the first "success" status: it must be retried
let receiver: http.Server;

const run = (args: string[]) => cli(s, args, { cwd: work });
const events = async () => (await api<EventJson[]>(s, 'GET', `/pipelines/${P}/events?limit=500`)).json;
const runs = async () => (await api<RunJson[]>(s, 'GET', `/pipelines/${P}/test-runs`)).json;
const current = async (app: string) => (await api<ReleaseJson[]>(s, 'GET', `/apps/${app}/releases`)).json.find((r) => r.current);

/** Deliver a webhook as GitHub does; `sign` false sends no signature, a string signs with that secret. */
async function deliver(event: string, payload: unknown, opts: { sign?: string | false; signature?: string; delivery?: string; form?: boolean } = {}) {
  // GitHub's two content types: the JSON itself, or form-encoded with the JSON in `payload`.
  const body = opts.form ? new URLSearchParams({ payload: JSON.stringify(payload) }).toString() : JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': opts.form ? 'application/x-www-form-urlencoded' : 'application/json', 'x-github-event': event, 'x-github-delivery': opts.delivery ?? randomUUID(), 'user-agent': 'GitHub-Hookshot/test' };
  if (opts.sign !== false) headers['x-hub-signature-256'] = opts.signature ?? signBody(opts.sign ?? secret, body);
  const res = await fetch(`${s.url}/hooks/github`, { method: 'POST', headers, body });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
}

/** GitHub's push example, about our repository and commit. */
function pushPayload(sha: string, branch = 'main') {
  const p = example('push', (e) => String(e['ref']).startsWith('refs/heads/') || e['ref'] === 'refs/tags/simple-tag');
  Object.assign(p, { ref: `refs/heads/${branch}`, after: sha, deleted: false, created: false });
  Object.assign(p['repository'], { full_name: REPO, name: 'github-app', clone_url: origin.url });
  p['head_commit'] = { ...p['head_commit'], id: sha, message: git(work, 'log', '-1', '--format=%s', sha) };
  return p;
}

/** GitHub's pull_request example, about our repository, PR number and head commit. */
function prPayload(action: string, number: number, branch: string, sha: string) {
  const p = example('pull_request', (e) => e['action'] === 'opened');
  p['action'] = action;
  p['number'] = number;
  Object.assign(p['repository'], { full_name: REPO, clone_url: origin.url });
  Object.assign(p['pull_request'], { number, state: action === 'closed' ? 'closed' : 'open' });
  Object.assign(p['pull_request']['head'], { ref: branch, sha });
  Object.assign(p['pull_request']['head']['repo'], { full_name: REPO, clone_url: origin.url });
  return p;
}

const publish = () => { git(work, 'push', '-q', '--all', bare); git(bare, 'update-server-info'); };

before(async () => {
  receiver = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c) => { text += c; });
    req.on('end', () => {
      const body = JSON.parse(text) as StatusCall['body'];
      const answered = body.state === 'success' && failNextSuccess-- > 0 ? 500 : 201;
      statuses.push({ path: req.url ?? '', authorization: req.headers.authorization, body, answered });
      res.writeHead(answered, { 'content-type': 'application/json' }).end(answered === 201 ? JSON.stringify({ id: statuses.length }) : '{"message":"Server Error"}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  s = await startServer({ SLIPWAY_REVIEW_SWEEP_SECONDS: '1' });
  work = exampleRepo('github-app');
  origin = await serveGitRepo(work, 'github-app');
  bare = origin.bare;
});
after(async () => {
  await s?.stop();
  await origin?.close();
  receiver?.closeAllConnections();
  await new Promise((r) => receiver?.close(r));
});

test('a signed push is tested, reported as commit statuses, and deployed; unsigned, mis-signed and repeated deliveries do nothing', { timeout: 300_000 }, async () => {
  for (const args of [['pipelines:create', P], ['apps:create', DEV], ['pipelines:add', P, '-a', DEV], ['pipelines:update', '-p', P, '--auto-deploy', 'on', '--wait-for-ci', 'on']]) {
    const r = await run(args);
    assert.equal(r.code, 0, `slipway ${args.join(' ')}: ${r.stderr}`);
  }
  const statusApi = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  const connect = await run(['pipelines:connect', P, '--repo', REPO, '--clone-url', origin.url, '--status-token', STATUS_TOKEN, '--status-api-url', statusApi]);
  assert.equal(connect.code, 0, connect.stderr);
  assert.match(connect.stdout, new RegExp(`Payload URL:\\s+${s.url}/hooks/github`));
  secret = /Secret:\s+([0-9a-f]{48})/.exec(connect.stdout)![1]!;
  const info = await api<{ repository: { name: string; webhook_secret_set: boolean; status_token_set: boolean } }>(s, 'GET', `/pipelines/${P}`);
  assert.deepEqual([info.json.repository.name, info.json.repository.webhook_secret_set, info.json.repository.status_token_set], [REPO, true, true]);
  assert.doesNotMatch(JSON.stringify(info.json), new RegExp(secret), 'the secret is never shown again');

  const ping = example('ping', (e) => 'repository' in e);
  ping['repository']['full_name'] = REPO;
  const pong = await deliver('ping', ping);
  assert.equal(pong.status, 200);
  assert.equal(pong.json['pipeline'], P);
  assert.equal((await deliver('ping', ping, { form: true })).status, 200, 'form-encoded deliveries are signed over the form body');
  const headerless = await fetch(`${s.url}/hooks/github`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(headerless.status, 422);
  assert.equal(((await headerless.json()) as { id: string }).id, 'invalid_params');

  const sha = git(work, 'rev-parse', 'HEAD');
  const payload = pushPayload(sha);
  const unsigned = await deliver('push', payload, { sign: false });
  assert.equal(unsigned.status, 401);
  assert.equal(unsigned.json['id'], 'webhook_signature_invalid');
  const misSigned = await deliver('push', payload, { sign: 'not-the-secret' });
  assert.equal(misSigned.status, 401);
  assert.equal(misSigned.json['id'], 'webhook_signature_invalid');
  // The signature of the real body on a body changed in transit.
  const tampered = await deliver('push', { ...payload, after: 'f'.repeat(40) }, { signature: signBody(secret, JSON.stringify(payload)) });
  assert.equal(tampered.status, 401);
  assert.equal(tampered.json['id'], 'webhook_signature_invalid');
  const unknown = await deliver('push', { ...payload, repository: { ...payload['repository'], full_name: 'someone/else' } });
  assert.equal(unknown.status, 404);
  assert.equal(unknown.json['id'], 'repository_not_connected');
  assert.deepEqual(await runs(), [], 'refused deliveries queue nothing');

  const delivery = randomUUID();
  const ok = await deliver('push', payload, { delivery });
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  assert.equal(ok.json['sha'], sha);
  const again = await deliver('push', payload, { delivery });
  assert.equal(again.status, 200);
  assert.match(String(again.json['reason']), /already received/);

  const ci = await waitFor('the test run to end', async () => (await runs()).find((r) => ['succeeded', 'failed', 'errored'].includes(r.status)), 180_000);
  assert.equal(ci.status, 'succeeded');
  assert.equal(ci.commit_sha, sha);
  const dev = await waitFor('the development deploy', async () => { const r = await current(DEV); return r?.slug ? r : undefined; }, 180_000);
  assert.match(dev.description, new RegExp(`Deploy ${sha.slice(0, 7)}`));
  const served = await waitFor('the development app to serve', async () => { const r = await viaRouter(s, DEV); return r.status === 200 ? r : undefined; });
  assert.match(served.body, /^hi; version=one; app=-; pr=-/, 'app.json env applies to review apps only (as on Heroku, at app setup)');
  assert.equal((await runs()).length, 1, 'one run: the refused and the repeated deliveries added none');

  // Statuses: pending when the run started, then success (refused once with a 500, so sent twice).
  await waitFor('the success status to be accepted', async () => statuses.some((c) => c.body.state === 'success' && c.answered === 201), 60_000);
  for (const c of statuses) {
    assert.equal(c.path, `/repos/${REPO}/statuses/${sha}`);
    assert.equal(c.authorization, `Bearer ${STATUS_TOKEN}`);
    assert.equal(c.body.context, 'continuous-integration/slipway');
    assert.equal(c.body.target_url, `${s.url}/pipelines/${P}/tests/${ci.number}`);
  }
  assert.deepEqual(statuses.map((c) => `${c.body.state}:${c.answered}`), ['pending:201', 'success:500', 'success:201']);
  const failedReport = (await events()).find((e) => e.kind === 'status-failed');
  assert.match(failedReport!.message, /Reporting success for \w{7} \(test run #1\) .* failed \(attempt 1 of 5\): HTTP 500.*retrying/);
  assert.ok((await events()).some((e) => e.kind === 'webhook' && e.message.includes(`delivery ${delivery}`)));

  // A deleted branch and events Slipway does not act on are acknowledged and ignored.
  const deleted = await deliver('push', { ...pushPayload(sha, 'old'), after: '0'.repeat(40), deleted: true });
  assert.equal(deleted.status, 202);
  assert.match(String(deleted.json['reason']), /deleted/);
  // Work that fails after the 202 (here: a commit the repository does not have) is on the pipeline's log.
  // (A sha the mirror lacks: git does not contact the remote for one it already has.)
  const nowhere = 'b'.repeat(40);
  const lost = pushPayload(sha, 'lost');
  lost['after'] = nowhere;
  const lostDelivery = randomUUID();
  assert.equal((await deliver('push', lost, { delivery: lostDelivery })).status, 202);
  const failure = await waitFor('the failed delivery on the pipeline log', async () => (await events()).find((e) => e.kind === 'webhook-failed'));
  assert.match(failure.message, new RegExp(`Delivery ${lostDelivery} \\(push ${nowhere.slice(0, 7)}\\) failed: commit ${nowhere} is not in ${origin.url}`));
  const issues = await deliver('issues', { action: 'opened', repository: payload['repository'] });
  assert.equal(issues.status, 202);
  assert.match(String(issues.json['reason']), /"issues"/);
});

test('a `git push` to an app of a connected pipeline reports its run\'s statuses too', { timeout: 300_000 }, async () => {
  git(work, 'checkout', '-q', 'main');
  const sha = commitAll(work, 'pushed straight to Slipway');
  assert.equal((await run(['git:remote', '-a', DEV])).code, 0);
  const push = await gitPush(s, work, ['slipway', 'main']);
  assert.equal(push.code, 0, push.output);
  const n = Number(/Test run #(\d+) started/.exec(push.output)![1]);
  await waitFor('the success status of the pushed commit', async () => statuses.some((c) => c.path.endsWith(sha) && c.body.state === 'success'), 60_000);
  const mine = statuses.filter((c) => c.path === `/repos/${REPO}/statuses/${sha}`);
  assert.deepEqual(mine.map((c) => c.body.state), ['pending', 'success']);
  assert.equal(mine[1]!.body.target_url, `${s.url}/pipelines/${P}/tests/${n}`);
});

test('review apps: a pull request gets an app (with its Postgres add-on) from its head, rebuilt on new commits, destroyed when closed or stale', { timeout: 600_000, skip: needs('postgres') }, async () => {
  const en = await run(['reviewapps:enable', '-p', P, '--autodeploy']);
  assert.equal(en.code, 0, en.stderr);
  git(work, 'checkout', '-q', '-b', 'feature-x');
  fs.writeFileSync(path.join(work, 'lib.js'), fs.readFileSync(path.join(work, 'lib.js'), 'utf8').replace("'one'", "'two'"));
  const head = commitAll(work, 'version two');
  publish();
  const APP = 'gh-pr-7';

  const opened = await deliver('pull_request', prPayload('opened', 7, 'feature-x', head));
  assert.equal(opened.status, 202, JSON.stringify(opened.json));
  const ra = await waitFor('the review app to be created and its postdeploy to run', async () => {
    const list = (await api<ReviewAppJson[]>(s, 'GET', `/pipelines/${P}/review-apps`)).json;
    const r = list.find((x) => x.pr_number === 7);
    return r?.status === 'created' && r.message?.startsWith('postdeploy exited') ? r : undefined;
  }, 240_000);
  assert.equal(ra.app?.name, APP);
  assert.match(ra.message!, /postdeploy exited 0: .*postdeploy: seeds table has 1 row\(s\)/);
  const vars = (await api<Record<string, string>>(s, 'GET', `/apps/${APP}/config-vars`)).json;
  assert.deepEqual([vars['HEROKU_APP_NAME'], vars['HEROKU_BRANCH'], vars['HEROKU_PR_NUMBER'], vars['GREETING']], [APP, 'feature-x', '7', 'hello from review']);
  assert.match(vars['DATABASE_URL'] ?? '', /^postgres(ql)?:\/\//, 'environments.review.addons: a Postgres add-on of its own');
  assert.equal((await api<{ stage: string }>(s, 'GET', `/apps/${APP}/pipeline-couplings`)).json.stage, 'review');
  assert.match((await viaRouter(s, APP)).body, /^hello from review; version=two; app=gh-pr-7; pr=7; branch=feature-x/);
  const logs = await run(['logs', '-a', APP, '-n', '200']);
  assert.match(logs.stdout, /app\[postdeploy\]: postdeploy: seeding gh-pr-7 for PR #7 \(feature-x\)/);
  const info = await run(['pipelines:info', P]);
  assert.match(info.stdout, /#7\s+feature-x\s+gh-pr-7\s+created/);
  assert.match(info.stdout, /review\s+gh-pr-7/);

  // New commits on the PR rebuild the same app; postdeploy does not run again.
  fs.writeFileSync(path.join(work, 'lib.js'), fs.readFileSync(path.join(work, 'lib.js'), 'utf8').replace("'two'", "'three'"));
  const head2 = commitAll(work, 'version three');
  publish();
  assert.equal((await deliver('pull_request', prPayload('synchronize', 7, 'feature-x', head2))).status, 202);
  await waitFor('the review app to serve version three', async () => /version=three/.test((await viaRouter(s, APP)).body), 240_000);
  const seeded = (await events()).filter((e) => e.message.includes('postdeploy exited'));
  assert.equal(seeded.length, 1, 'postdeploy ran once');
  assert.equal(((await run(['logs', '-a', APP, '-n', '500'])).stdout.match(/app\[postdeploy\]: postdeploy: seeding/g) ?? []).length, 1);

  // Closing the PR runs pr-predestroy in the app, then destroys it.
  assert.equal((await deliver('pull_request', prPayload('closed', 7, 'feature-x', head2))).status, 202);
  await waitFor('the review app to be destroyed', async () => (await api(s, 'GET', `/apps/${APP}`)).status === 404, 120_000);
  const predestroy = (await events()).find((e) => e.message.includes('pr-predestroy on gh-pr-7'));
  assert.match(predestroy!.message, /exited 0: pr-predestroy: releasing gh-pr-7 of PR #7; its database says: seeded for PR 7$/, 'pr-predestroy ran against the database postdeploy seeded');
  // The app answers 404 as soon as its row is gone; the review app says deleted once the rest (slugs, the routers' tables) is done too.
  await waitFor('the review app marked deleted', async () =>
    (await api<ReviewAppJson[]>(s, 'GET', `/pipelines/${P}/review-apps`)).json.find((x) => x.pr_number === 7)?.status === 'deleted', 30_000);
  assert.equal((await viaRouter(s, APP)).status, 404);
  assert.match((await run(['reviewapps', '-p', P])).stdout, /#7\s+feature-x\s+-\s+deleted/);

  // Autodestroy: a review app with no new release for the pipeline's stale days goes by itself.
  const bad = await run(['reviewapps:enable', '-p', P, '--autodestroy', '--stale-days', '0']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--stale-days takes a whole number of days from 1 to 30/);
  const auto = await run(['reviewapps:enable', '-p', P, '--autodeploy', '--autodestroy', '--stale-days', '2']);
  assert.equal(auto.code, 0, auto.stderr);
  assert.match(auto.stdout, /autodestroy after 2 stale day\(s\)/);
  assert.equal((await deliver('pull_request', prPayload('opened', 8, 'feature-x', head2))).status, 202);
  await waitFor('the PR #8 app and its postdeploy', async () => {
    const r = (await api<ReviewAppJson[]>(s, 'GET', `/pipelines/${P}/review-apps`)).json.find((x) => x.pr_number === 8);
    return r?.status === 'created' && r.message?.startsWith('postdeploy exited');
  }, 240_000);
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal((await api(s, 'GET', '/apps/gh-pr-8')).status, 200, 'a fresh review app is not stale');
  // Three days pass for its releases (the server's clock is not ours to move).
  const db = new Database(path.join(s.dataDir, 'slipway.db'));
  db.prepare("UPDATE releases SET created_at = ? WHERE app_id = (SELECT id FROM apps WHERE name = 'gh-pr-8')").run(new Date(Date.now() - 3 * 86_400_000).toISOString());
  db.close();
  await waitFor('the stale review app to be destroyed', async () => (await api(s, 'GET', '/apps/gh-pr-8')).status === 404, 120_000);
  // The app answers 404 as soon as its row is gone; the event is written once the rest (its add-on, slugs) is done too.
  await waitFor('the autodestroy event', async () => (await events()).some((e) => e.message === 'PR #8: no new release for 2 day(s) (autodestroy): review app gh-pr-8 destroyed'), 30_000);

  // Disconnected: the old secret no longer gets anything in.
  const off = await run(['pipelines:disconnect', P]);
  assert.equal(off.code, 0, off.stderr);
  const late = await deliver('push', pushPayload(head2, 'feature-x'));
  assert.equal(late.status, 404);
  assert.equal(late.json['id'], 'repository_not_connected');
});

test('a delivery whose server dies in the middle of it is done again after the restart', { timeout: 300_000 }, async () => {
  git(work, 'checkout', '-q', 'main');
  const later = commitAll(work, 'pushed while the server is about to die');
  // The repository over dumb HTTP, holding every request while `stalled`: the delivery's fetch hangs.
  const root = tempDir('slipway-stalled-');
  git(root, 'clone', '-q', '--bare', work, 'github-app.git');
  git(path.join(root, 'github-app.git'), 'update-server-info');
  let stalled = true;
  const held: http.ServerResponse[] = [];
  const stalledOrigin = http.createServer((req, res) => {
    if (stalled) { held.push(res); return; }
    const file = path.join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404).end(); return; }
    fs.createReadStream(file).pipe(res.writeHead(200));
  });
  await new Promise<void>((r) => stalledOrigin.listen(0, '127.0.0.1', () => r()));
  try {
    const stalledUrl = `http://127.0.0.1:${(stalledOrigin.address() as AddressInfo).port}/github-app.git`;
    const connect = await run(['pipelines:connect', P, '--repo', REPO, '--secret', secret, '--clone-url', stalledUrl]); // the review app test disconnected it
    assert.equal(connect.code, 0, connect.stderr);
    const payload = pushPayload(later);
    assert.equal((await deliver('push', payload)).status, 202);
    await waitFor('the delivery to be fetching', async () => held.length > 0, 60_000);
    await s.kill();
    stalled = false;
    for (const res of held) res.destroy();
    s = await startServer({ SLIPWAY_REVIEW_SWEEP_SECONDS: '1' }, s.dataDir);
    await waitFor('the delivery to be done by the new server', async () => (await runs()).some((r) => r.commit_sha === later), 120_000);
    assert.ok(!(await events()).some((e) => e.kind === 'webhook-failed' && e.message.includes(later.slice(0, 7))), 'the second attempt succeeded');
  } finally {
    stalledOrigin.closeAllConnections();
    await new Promise((r) => stalledOrigin.close(r));
  }
});
