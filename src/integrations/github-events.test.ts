import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { decide, repositoryOf } from './github-events.js';

// GitHub's own example payloads (the @octokit/webhooks-examples package).
const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as Array<{ name: string; examples: Array<Record<string, unknown>> }>;
const example = (name: string, pick: (e: Record<string, unknown>) => boolean) => structuredClone(examples.find((e) => e.name === name)!.examples.find(pick)!);
const opts = { reviewApps: true, reviewAutodeploy: false, cloneUrlOverride: null };
const SHA = 'a'.repeat(40);

test('a push to a branch is work with its sha, message and clone URL; tags and deletions are ignored', () => {
  const push = example('push', (e) => e['ref'] === 'refs/tags/simple-tag');
  assert.equal(repositoryOf(push), 'Codertocat/Hello-World');
  assert.match((decide('push', push, opts) as { ignored: string }).ignored, /not a branch/);
  Object.assign(push, { ref: 'refs/heads/main', after: SHA, deleted: false });
  assert.deepEqual(decide('push', push, opts), { work: { kind: 'push', branch: 'main', sha: SHA, message: 'Adding a .gitignore file', cloneUrl: 'https://github.com/Codertocat/Hello-World.git', actor: 'Codertocat' } });
  assert.equal((decide('push', push, { ...opts, cloneUrlOverride: '/srv/mirror.git' }) as { work: { cloneUrl: string } }).work.cloneUrl, '/srv/mirror.git');
  Object.assign(push, { after: '0'.repeat(40), deleted: true });
  assert.match((decide('push', push, opts) as { ignored: string }).ignored, /deleted/);
  assert.match((decide('push', { ref: 'x' }, opts) as { invalid: string }).invalid, /after/);
});

test('pull requests: opened and reopened open a review app, synchronize only with autodeploy, closed closes', () => {
  const pr = example('pull_request', (e) => e['action'] === 'opened');
  const work = decide('pull_request', pr, opts) as { work: { action: string; number: number; branch: string } };
  assert.equal(work.work.action, 'open');
  assert.equal(work.work.number, 2);
  assert.equal(work.work.branch, 'changes');
  assert.match((decide('pull_request', pr, { ...opts, reviewApps: false }) as { ignored: string }).ignored, /review apps are off/);
  const sync = { ...pr, action: 'synchronize' };
  assert.match((decide('pull_request', sync, opts) as { ignored: string }).ignored, /autodeploy is off/);
  assert.equal((decide('pull_request', sync, { ...opts, reviewAutodeploy: true }) as { work: { action: string } }).work.action, 'update');
  assert.equal((decide('pull_request', { ...pr, action: 'closed' }, opts) as { work: { action: string } }).work.action, 'close');
  assert.match((decide('pull_request', { ...pr, action: 'labeled' }, opts) as { ignored: string }).ignored, /labeled/);
  assert.match((decide('issues', pr, opts) as { ignored: string }).ignored, /"issues"/);
});
