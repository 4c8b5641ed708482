// Attack: a webhook delivery, correctly signed with the pipeline's secret (anyone who has it, or
// anyone who opens a pull request from a fork), names a clone URL that makes the server's root
// `git fetch` run a command (`--upload-pack=`), read a local repository (another tenant's, by path
// or file://), use a remote helper (ext::) or reach another host. Each must be refused before git
// runs, with a clear error on the delivery and on the pipeline's events; the server keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { exampleRepo, commitAll, git } from '../helpers/apps.js';
import { serveGitRepo, type GitHttp } from '../helpers/git-http.js';
import { waitFor } from '../helpers/runs.js';
import { signBody } from '../../src/integrations/github-signature.js';
import { tempDir } from '../helpers/temp.js';

const SECRET = 'edges-webhook-secret-0123456789';
let s: TestServer;
let origin: GitHttp;
let trap: http.Server;
let trapHits = 0;
let tmp: string;
let victimBare: string;
let victimSha: string;

interface EventJson { kind: string; message: string }
const events = async (p: string) => (await api<EventJson[]>(s, 'GET', `/pipelines/${p}/events?limit=500`)).json;

async function deliver(event: string, payload: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const body = JSON.stringify(payload);
  const res = await fetch(`${s.url}/hooks/github`, {
    method: 'POST', body,
    headers: { 'content-type': 'application/json', 'x-github-event': event, 'x-github-delivery': randomUUID(), 'x-hub-signature-256': signBody(SECRET, body) },
  });
  return { status: res.status, json: await res.json() as Record<string, unknown> };
}
const push = (repo: string, sha: string, cloneUrl: string) => ({ ref: 'refs/heads/main', after: sha, repository: { full_name: repo, clone_url: cloneUrl } });
const forkPr = (repo: string, sha: string, cloneUrl: string) => ({
  action: 'opened', number: 7, repository: { full_name: repo, clone_url: origin.url },
  pull_request: { title: 'innocent', head: { ref: 'feature', sha, repo: { full_name: 'mallory/fork', clone_url: cloneUrl } } },
});

before(async () => {
  tmp = tempDir('slipway-edges-hook-');
  // Another tenant's repository on the server's disk, with a commit the attacker knows.
  const victim = exampleRepo('web-app');
  victimSha = commitAll(victim, 'victim secret commit');
  victimBare = path.join(tmp, 'victim.git');
  git(tmp, 'clone', '-q', '--bare', victim, victimBare);
  origin = await serveGitRepo(exampleRepo('github-app'), 'github-app');
  // A host the pipeline was not connected to: any request reaching it is a failure.
  trap = http.createServer((_req, res) => { trapHits++; res.writeHead(404).end(); });
  await new Promise<void>((r) => trap.listen(0, '127.0.0.1', () => r()));
  s = await startServer();
  for (const args of [['pipelines:create', 'hooked'], ['pipelines:connect', 'hooked', '--repo', 'octo/hooked', '--secret', SECRET],
    ['pipelines:create', 'forked'], ['pipelines:connect', 'forked', '--repo', 'octo/forked', '--secret', SECRET, '--clone-url', origin.url], ['reviewapps:enable', '-p', 'forked']]) {
    const r = await cli(s, args);
    assert.equal(r.code, 0, `slipway ${args.join(' ')}: ${r.stderr}`);
  }
});
after(async () => {
  await s?.stop();
  await origin?.close();
  trap?.closeAllConnections();
  await new Promise((r) => trap?.close(r));
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('hostile clone URLs in signed push deliveries never reach git', { timeout: 120_000 }, async () => {
  const marker = path.join(tmp, 'PWNED');
  const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/octo/hooked.git`;
  const hostile = [`--upload-pack=touch ${marker} #`, victimBare, `file://${victimBare}`, `ext::sh -c touch% ${marker}`, trapUrl, `ssh://-oProxyCommand=touch%20${marker}/x`];
  const answers = [];
  for (const url of hostile) answers.push({ url, ...(await deliver('push', push('octo/hooked', victimSha, url))) });
  // Give work that slipped through time to run before looking for its traces.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(fs.existsSync(marker), false, 'a command from the clone URL ran on the server');
  assert.equal(trapHits, 0, 'the server fetched from a host the pipeline is not connected to');
  const fetched = (await events('hooked')).filter((e) => e.kind === 'webhook');
  assert.deepEqual(fetched, [], 'another tenant\'s repository was fetched by path');
  for (const a of answers) {
    assert.equal(a.status, 422, `${a.url}: ${JSON.stringify(a.json)}`);
    assert.equal(a.json['id'], 'clone_url_refused', a.url);
    assert.match(String(a.json['message']), /refused: clone URL .* (contains whitespace|only https, http and ssh|is not a URL|no usable host|but this pipeline fetches only from github\.com)/, a.url);
  }
  const refused = (await events('hooked')).filter((e) => e.kind === 'webhook-failed');
  assert.equal(refused.length, hostile.length, 'each refusal is on the pipeline\'s events');
  assert.ok(refused.every((e) => /refused: clone URL .*nothing was fetched/.test(e.message)));
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('a fork\'s clone URL must be on the connected host; connect refuses hostile --clone-url; the connected host still works', { timeout: 120_000 }, async () => {
  const marker = path.join(tmp, 'PWNED-FORK');
  const trapUrl = `http://127.0.0.1:${(trap.address() as AddressInfo).port}/mallory/fork.git`;
  for (const url of [`--upload-pack=touch ${marker} #`, trapUrl, victimBare]) {
    const r = await deliver('pull_request', forkPr('octo/forked', victimSha, url));
    assert.equal(r.status, 422, `${url}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json['id'], 'clone_url_refused');
  }
  await new Promise((r) => setTimeout(r, 2000));
  assert.equal(fs.existsSync(marker), false);
  assert.equal(trapHits, 0);
  assert.deepEqual((await api<unknown[]>(s, 'GET', '/pipelines/forked/review-apps')).json, [], 'no review app from a refused fork');

  for (const url of ['--upload-pack=touch /tmp/x', '/etc', 'file:///etc', 'ext::sh -c id']) {
    const r = await cli(s, ['pipelines:connect', 'forked', '--repo', 'octo/forked', '--secret', SECRET, '--clone-url', url]);
    assert.equal(r.code, 2, `${url}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /repo_clone_url: clone URL .*(contains whitespace|only https, http and ssh|is not a URL)/);
  }
  // The connected host itself is fetched from as before (over HTTP, with the restricted git).
  const sha = git(path.dirname(origin.bare), '--git-dir', origin.bare, 'rev-parse', 'HEAD');
  const ok = await deliver('push', push('octo/forked', sha, 'https://ignored.example/own-repo-uses-connect-url.git'));
  assert.equal(ok.status, 202, JSON.stringify(ok.json));
  const done = await waitFor('the delivery to be fetched', async () => (await events('forked')).find((e) => e.kind === 'webhook' || (e.kind === 'webhook-failed' && e.message.includes(`push ${sha.slice(0, 7)}`))), 60_000);
  assert.equal(done.kind, 'webhook', done.message);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});
