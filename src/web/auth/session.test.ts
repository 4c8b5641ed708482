import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrfToken, csrfValid, newSession, parseCookies, sessionCookie, signSession, verifySession } from './session.js';

const SECRET = 'a'.repeat(64);
const T0 = Date.UTC(2026, 0, 1);

test('a signed session verifies until it expires', () => {
  const s = newSession('tok-1', 'admin', T0, 60);
  const v = signSession(SECRET, s);
  assert.deepEqual(verifySession(SECRET, v, T0 + 59_000), s);
  assert.equal(verifySession(SECRET, v, T0 + 60_000), null, 'expired at exp');
});

test('a changed payload, a changed signature or another secret is refused', () => {
  const v = signSession(SECRET, newSession('tok-1', 'admin', T0, 60));
  const [body, sig] = v.split('.') as [string, string];
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body, 'base64url').toString()), exp: 9e12 })).toString('base64url');
  assert.equal(verifySession(SECRET, `${forged}.${sig}`, T0), null);
  assert.equal(verifySession(SECRET, `${body}.${sig[0] === 'A' ? 'B' : 'A'}${sig.slice(1)}`, T0), null); // another first character: always a different signature
  assert.equal(verifySession('b'.repeat(64), v, T0), null);
  assert.equal(verifySession(SECRET, 'garbage', T0), null);
  assert.equal(verifySession(SECRET, undefined, T0), null);
});

test('CSRF tokens are per session', () => {
  const t = csrfToken(SECRET, 'sid-1');
  assert.ok(csrfValid(SECRET, 'sid-1', t));
  assert.ok(!csrfValid(SECRET, 'sid-2', t));
  assert.ok(!csrfValid(SECRET, 'sid-1', undefined));
  assert.ok(!csrfValid(SECRET, 'sid-1', t.slice(1)));
});

test('cookies: parsed from a header; the session cookie is HttpOnly, SameSite, Path=/, Secure only on https', () => {
  assert.deepEqual(parseCookies('a=1; slipway_session=x%3Dy; b=2'), { a: '1', slipway_session: 'x=y', b: '2' });
  assert.equal(sessionCookie('v', 60, false), 'slipway_session=v; Path=/; HttpOnly; SameSite=Lax; Max-Age=60');
  assert.match(sessionCookie('', 0, true), /Max-Age=0; Secure$/);
});
