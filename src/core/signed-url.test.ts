import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSignedPath, signPath } from './signed-url.js';

const S = 'k'.repeat(64);
const q = (s: string) => new URLSearchParams(s);

test('a signed URL is good for its method and path until it expires', () => {
  const put = signPath(S, 'PUT', '/sources/x/blob', 1000);
  assert.equal(checkSignedPath(S, 'PUT', '/sources/x/blob', q(put), 999), 'ok');
  assert.equal(checkSignedPath(S, 'PUT', '/sources/x/blob', q(put), 1001), 'expired');
  assert.equal(checkSignedPath(S, 'GET', '/sources/x/blob', q(put), 999), 'invalid', 'an upload URL does not download');
  assert.equal(checkSignedPath(S, 'PUT', '/sources/y/blob', q(put), 999), 'invalid', 'nor another source');
  assert.equal(checkSignedPath(S, 'PUT', '/sources/x/blob', q(put.replace('exp=1000', 'exp=9999')), 999), 'invalid', 'a stretched expiry breaks the signature');
  assert.equal(checkSignedPath('other', 'PUT', '/sources/x/blob', q(put), 999), 'invalid');
  assert.equal(checkSignedPath(S, 'HEAD', '/a', q(signPath(S, 'GET', '/a', 5)), 1), 'ok');
  assert.equal(checkSignedPath(S, 'DELETE', '/a', q(signPath(S, 'GET', '/a', 5)), 1), 'invalid');
  assert.equal(checkSignedPath(S, 'GET', '/a', q(''), 1), 'absent');
});
