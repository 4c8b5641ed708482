import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkGiteaSignature, checkGitlabToken, signGiteaBody } from './host-signatures.js';

test('GitLab: the token must be the secret itself', () => {
  assert.deepEqual(checkGitlabToken('s3cret-value', 's3cret-value'), { ok: true });
  assert.deepEqual(checkGitlabToken('s3cret-value', 's3cret-valuE'), { ok: false, reason: 'mismatch' });
  assert.deepEqual(checkGitlabToken('s3cret-value', 's3cret'), { ok: false, reason: 'mismatch' });
  assert.deepEqual(checkGitlabToken('s3cret-value', undefined), { ok: false, reason: 'missing' });
});

test('Gitea/Forgejo: hex HMAC-SHA256 of the raw body, no prefix', () => {
  const body = Buffer.from('{"ref":"refs/heads/main"}');
  // The same HMAC as GitHub's documented example, without GitHub's "sha256=" prefix.
  assert.equal(signGiteaBody("It's a Secret to Everybody", 'Hello, World!'), '757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  assert.deepEqual(checkGiteaSignature('k3y-k3y-k3y', body, signGiteaBody('k3y-k3y-k3y', body)), { ok: true });
  assert.deepEqual(checkGiteaSignature('k3y-k3y-k3y', body, `sha256=${signGiteaBody('k3y-k3y-k3y', body)}`), { ok: false, reason: 'malformed' });
  assert.deepEqual(checkGiteaSignature('k3y-k3y-k3y', body, signGiteaBody('other-key', body)), { ok: false, reason: 'mismatch' });
  assert.deepEqual(checkGiteaSignature('k3y-k3y-k3y', Buffer.from(`${body} `), signGiteaBody('k3y-k3y-k3y', body)), { ok: false, reason: 'mismatch' });
  assert.deepEqual(checkGiteaSignature('k3y-k3y-k3y', body, undefined), { ok: false, reason: 'missing' });
});
