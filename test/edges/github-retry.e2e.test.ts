// A GitHub delivery whose commit cannot be fetched for a while (issue "The flow's edges happen
// exactly once", item 6): tried again with back-off and then done; a host that stays down gets the
// delivery recorded as failed with the reason, both in `pipelines:events`. The git host is a
// loopback HTTP server that answers 503 while the test says so.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { startServer, cli, type TestServer } from '../helpers/server.js';
import { commitAll, git, repoWithBuildpack } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { tempDir } from '../helpers/temp.js';
import { signBody } from '../../src/integrations/github-signature.js';

const P = 'edges-flaky';
const repo = repoWithBuildpack({ environments: { test: { scripts: { test: 'echo fetched and tested' } } } }, 'echo compiled');
const root = tempDir('slipway-flaky-git-');
const bare = path.join(root, 'flaky.git');
let failNext = 0; // info/refs requests still to refuse; -1: refuse all
const host = http.createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x');
  if (u.pathname.endsWith('/info/refs') && failNext !== 0) { if (failNext > 0) failNext--; res.writeHead(503).end('down for maintenance'); return; }
  const file = path.join(root, decodeURIComponent(u.pathname));
  if (!file.startsWith(root) || !fs.existsSync(file) || !fs.statSync(file).isFile()) { res.writeHead(404).end(); return; }
  res.writeHead(200);
  fs.createReadStream(file).pipe(res);
});
let s: TestServer | undefined;
after(async () => { await s?.stop(); host.closeAllConnections(); await new Promise((r) => host.close(r)); });

const publish = () => { git(repo, 'push', '-q', '--all', bare); git(bare, 'update-server-info'); };

test('a delivery whose fetch fails is retried with back-off, then done; one whose host stays down is recorded failed with the reason', { timeout: 180_000 }, async () => {
  git(root, 'clone', '-q', '--bare', repo, bare);
  git(bare, 'update-server-info');
  await new Promise<void>((r) => host.listen(0, '127.0.0.1', () => r()));
  const cloneUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}/flaky.git`;
  s = await startServer();
  assert.equal((await cli(s, ['pipelines:create', P])).code, 0);
  const connect = await cli(s, ['pipelines:connect', P, '--repo', 'acme/flaky', '--clone-url', cloneUrl]);
  assert.equal(connect.code, 0, connect.stderr);
  const secret = /Secret:\s+([0-9a-f]{48})/.exec(connect.stdout)![1]!;
  const deliver = async (sha: string) => {
    const body = JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { full_name: 'acme/flaky', clone_url: cloneUrl }, head_commit: { message: 'm' } });
    const id = randomUUID();
    const res = await fetch(`${s!.url}/hooks/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': id, 'x-hub-signature-256': signBody(secret, body) } });
    assert.equal(res.status, 202, await res.text());
    return id;
  };
  const events = async () => (await cli(s!, ['pipelines:events', '-p', P])).stdout;

  // Down for the first attempt (its fetch by sha and its fetch of every branch), up for the second.
  failNext = 2;
  const first = await deliver(git(repo, 'rev-parse', 'HEAD'));
  await waitFor('the delivery to be done', async () => new RegExp(`push of [0-9a-f]{7} to main \\(delivery ${first}\\): test run #1`).test(await events()), 60_000);
  const log = await events();
  assert.match(log, new RegExp(`Delivery ${first} \\(push [0-9a-f]{7}\\): fetching the commit failed \\(attempt 1 of 3\\): git fetch ${cloneUrl} failed: .*503.*; retrying`));
  assert.doesNotMatch(log, /attempt 2 of 3/);

  // Down for good: three attempts, then failed with the reason.
  failNext = -1;
  commitAll(repo, 'second');
  publish();
  const second = await deliver(git(repo, 'rev-parse', 'HEAD'));
  await waitFor('the delivery to be given up', async () => new RegExp(`Delivery ${second} .* failed after 3 attempts`).test(await events()), 60_000);
  const final = await events();
  assert.match(final, new RegExp(`Delivery ${second} \\(push [0-9a-f]{7}\\) failed after 3 attempts: git fetch ${cloneUrl} failed: .*503`));
  assert.match(final, new RegExp(`Delivery ${second} .*attempt 2 of 3`));
});
