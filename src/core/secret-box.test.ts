import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Keyring, keyId, newKeyText, parseKey, SecretKeyError } from './secret-box.js';

const A = parseKey(newKeyText(), 'a');
const B = parseKey(newKeyText(), 'b');

test('a sealed value opens to the plaintext and does not contain it', () => {
  const ring = new Keyring(A);
  const sealed = ring.seal('postgres://user:hunter2@db/x');
  assert.doesNotMatch(sealed, /hunter2/);
  assert.ok(sealed.startsWith(`sl1:${keyId(A)}:`));
  assert.notEqual(ring.seal('same'), ring.seal('same'), 'a fresh iv each time');
  assert.equal(ring.open(sealed), 'postgres://user:hunter2@db/x');
  assert.equal(ring.open('plain from before sealing'), 'plain from before sealing');
});

test('a retired key still opens; a missing key is named; a tampered value is refused', () => {
  const old = new Keyring(A).seal('v');
  assert.equal(new Keyring(B, [A]).open(old), 'v');
  assert.throws(() => new Keyring(B).open(old), (e: Error) => e instanceof SecretKeyError && e.message.includes(keyId(A)));
  const t = old.slice(0, -3) + (old.endsWith('AAA') ? 'BBB' : 'AAA');
  assert.throws(() => new Keyring(A).open(t));
});

test('keys parse from hex or base64 only; derived keys differ by purpose and key', () => {
  assert.equal(parseKey(A.toString('base64'), 'x').toString('hex'), A.toString('hex'));
  assert.throws(() => parseKey('short', 'SLIPWAY_SECRET_KEY'), /SLIPWAY_SECRET_KEY: not a 256-bit key/);
  const r = new Keyring(A);
  assert.notEqual(r.derive('sessions'), r.derive('signed urls'));
  assert.notEqual(new Keyring(B).derive('sessions'), r.derive('sessions'));
});
