import { test } from 'node:test';
import assert from 'node:assert/strict';
import { safeNext } from './safe-next.js';

test('same-origin paths are kept', () => {
  for (const p of ['/pipelines', '/apps/web-1?tab=logs', '/pipelines/p/tests/3#node-2', '/apps/a%20b']) assert.equal(safeNext(p), p);
});

test('anything that could lead off-site, split the header or loop to sign-in falls back to /pipelines', () => {
  const hostile = ['//evil.example', '/\\evil.example', '\\\\evil.example', '/\t/evil.example', '/\n/evil.example', '\t//evil.example', ' //evil.example',
    '/%0d%0aSet-Cookie:x=1', '/%0D%0ALocation:%20http://evil', '/\r\nLocation: http://evil', '/%2f%2fevil.example', '/%5cevil.example', '/%09/evil.example',
    'https://evil.example', 'javascript:alert(1)', 'evil.example', '', '/login', '/login?next=//evil', '/\u0000', '/é', '/\u2028//evil', `/${'a'.repeat(3000)}`,
    undefined, null, 42, ['/x']];
  for (const h of hostile) assert.equal(safeNext(h), '/pipelines', JSON.stringify(h));
});
