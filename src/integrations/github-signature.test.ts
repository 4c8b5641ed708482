import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSignature, signBody } from './github-signature.js';

// The example from GitHub's "Validating webhook deliveries" page.
test('signBody matches GitHub\'s documented example', () => {
  assert.equal(signBody("It's a Secret to Everybody", 'Hello, World!'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
});

test('a delivery signed with the secret passes; anything else fails with its reason', () => {
  const body = Buffer.from('{"zen":"Keep it logically awesome."}');
  assert.deepEqual(checkSignature('s3cret-value', body, signBody('s3cret-value', body)), { ok: true });
  assert.deepEqual(checkSignature('s3cret-value', body, signBody('s3cret-value', body).toUpperCase().replace('SHA256', 'sha256')), { ok: true });
  assert.deepEqual(checkSignature('s3cret-value', body, undefined), { ok: false, reason: 'missing' });
  assert.deepEqual(checkSignature('s3cret-value', body, 'sha1=abc'), { ok: false, reason: 'malformed' });
  assert.deepEqual(checkSignature('s3cret-value', body, signBody('other-secret', body)), { ok: false, reason: 'mismatch' });
  assert.deepEqual(checkSignature('s3cret-value', Buffer.from(body.toString() + ' '), signBody('s3cret-value', body)), { ok: false, reason: 'mismatch' });
});
