import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hashPassword, newPassword, verifyPassword } from './password.js';

test('a password verifies against its own hash only; salts differ per hash', { timeout: 10_000 }, async () => {
  const pw = newPassword();
  const a = await hashPassword(pw);
  const b = await hashPassword(pw);
  assert.notEqual(a, b, 'a fresh salt each time');
  assert.match(a, /^scrypt\$16384\$8\$1\$[\w-]+\$[\w-]+$/);
  assert.ok(await verifyPassword(pw, a));
  assert.ok(await verifyPassword(pw, b));
  assert.ok(!(await verifyPassword(pw + 'x', a)));
  // The hash's first character (the last one may carry only base64 padding bits, which decode the same).
  const cut = a.lastIndexOf('$') + 1;
  assert.ok(!(await verifyPassword(pw, a.slice(0, cut) + (a[cut] === 'A' ? 'B' : 'A') + a.slice(cut + 1))));
});

test('malformed or missing hashes never match', { timeout: 10_000 }, async () => {
  for (const h of [null, undefined, '', 'plain', 'scrypt$0$8$1$aa$bb', 'scrypt$99999999$8$1$aa$bb', 'bcrypt$1$2$3$4$5']) assert.ok(!(await verifyPassword('x', h)), String(h));
});
