import { test } from 'node:test';
import assert from 'node:assert/strict';
import { signInAllowed, signInKeys } from './sign-in-limit.js';

const limit = { failures: 3, windowMs: 60_000 };
const at = (msAgo: number, now: number) => new Date(now - msAgo).toISOString();

test('fewer failures than the limit within the window: allowed', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');
  assert.deepEqual(signInAllowed([], now, limit), { ok: true });
  assert.deepEqual(signInAllowed([at(1000, now), at(2000, now)], now, limit), { ok: true });
  assert.deepEqual(signInAllowed([at(1000, now), at(2000, now), at(61_000, now), at(90_000, now)], now, limit), { ok: true }, 'old failures do not count');
});

test('at the limit: refused until the oldest counted failure leaves the window', () => {
  const now = Date.parse('2026-11-29T10:00:00Z');
  assert.deepEqual(signInAllowed([at(1000, now), at(40_000, now), at(20_000, now)], now, limit), { ok: false, retryAfterSeconds: 20 });
  assert.deepEqual(signInAllowed([at(1000, now), at(2000, now), at(3000, now), at(59_900, now)], now, limit), { ok: false, retryAfterSeconds: 57 });
  assert.deepEqual(signInAllowed([at(100, now), at(100, now), at(59_999, now)], now, limit), { ok: false, retryAfterSeconds: 1 });
});

test('an attempt counts against the address and the token prefix', () => {
  assert.deepEqual(signInKeys('203.0.113.9', 'abcdef0123456789'), ['addr:203.0.113.9', 'token:abcdef']);
  // Slipway's own tokens: the random part, not the kind every token of that kind shares.
  assert.deepEqual(signInKeys('203.0.113.9', 'slpa_Xy12zwQQ'), ['addr:203.0.113.9', 'token:Xy12zw']);
  assert.deepEqual(signInKeys('203.0.113.9', 'slpr_Rt34abQQ'), ['addr:203.0.113.9', 'token:Rt34ab'], 'router tokens too');
  assert.deepEqual(signInKeys('203.0.113.9', 'slp_Xy12zwQQ'), ['addr:203.0.113.9', 'token:Xy12zw']);
  assert.notDeepEqual(signInKeys('a', 'slpa_Xaaaaaa')[1], signInKeys('a', 'slpa_Xbbbbbb')[1]);
  assert.deepEqual(signInKeys('::1', undefined), ['addr:::1']);
});
