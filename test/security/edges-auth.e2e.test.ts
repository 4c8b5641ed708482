// Attacks on signing in: a forged `next=` that would send a freshly signed-in browser off-site
// (control characters, backslashes, `//host`, encoded CR/LF), and guessing tokens as fast as the
// server answers (the dashboard form and API bearer tokens), including across a restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startServer, TOKEN, type TestServer } from '../helpers/server.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s?.stop(); });

/** One request from a chosen loopback address (each test's attacker has its own). */
function send(from: string, method: string, p: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(s.url);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: hostname, port, path: p, method, localAddress: from, agent: false, headers: { ...headers, ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}) } }, (res) => {
      let text = '';
      res.on('data', (c) => { text += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const signIn = (from: string, token: string, next: string) => send(from, 'POST', '/login', FORM, new URLSearchParams({ token, next }).toString());

test('a forged next= never sends the signed-in browser off-site', { timeout: 60_000 }, async () => {
  const hostile = ['//evil.example/', '/\\evil.example', '/\t/evil.example', '/\n/evil.example', '\t//evil.example', '/%0d%0aSet-Cookie:%20a=b', '/\r\nLocation: https://evil.example',
    '/%2f%2fevil.example', '/%5cevil.example', '/%09/evil.example', 'https://evil.example', '//evil.example@x', '/\u2028//evil.example', 'javascript:alert(1)'];
  for (const next of hostile) {
    const r = await signIn('127.0.0.1', TOKEN, next);
    assert.equal(r.status, 303, `${JSON.stringify(next)}: ${r.body.slice(0, 200)}`);
    assert.equal(r.headers.location, '/pipelines', JSON.stringify(next));
    assert.equal(r.headers['set-cookie']?.some((c) => /^a=b/.test(c)), false, 'no header injected');
    const page = await send('127.0.0.1', 'GET', `/login?next=${encodeURIComponent(next)}`);
    assert.equal(page.status, 200);
    assert.match(page.body, /name="next" value="\/pipelines"/, JSON.stringify(next));
  }
  const kept = await signIn('127.0.0.1', TOKEN, '/apps/web-1?tab=logs');
  assert.equal(kept.headers.location, '/apps/web-1?tab=logs', 'a path on this server is kept');
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('config values are not in the app page until revealed, and revealing needs the session\'s CSRF token', { timeout: 60_000 }, async () => {
  const SECRET = 'sk_live_edges_0123456789';
  assert.equal((await send('127.0.0.1', 'POST', '/apps', { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, '{"name":"reveal-app"}')).status, 201);
  assert.equal((await send('127.0.0.1', 'PATCH', '/apps/reveal-app/config-vars', { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, JSON.stringify({ STRIPE_KEY: SECRET }))).status, 200);
  const signedIn = await signIn('127.0.0.1', TOKEN, '/apps/reveal-app');
  const cookie = signedIn.headers['set-cookie']![0]!.split(';')[0]!;
  const page = await send('127.0.0.1', 'GET', '/apps/reveal-app', { cookie, accept: 'text/html' });
  assert.equal(page.status, 200);
  assert.match(page.body, /STRIPE_KEY/, 'the name is shown');
  assert.ok(!page.body.includes(SECRET), 'the value is not in the HTML');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  const reveal = (headers: Record<string, string>, body: string, key = 'STRIPE_KEY') => send('127.0.0.1', 'POST', `/apps/reveal-app/config-vars/${key}/reveal`, { ...FORM, accept: 'application/json', ...headers }, body);
  const forged = await reveal({ cookie }, '');
  assert.equal(forged.status, 403, 'no CSRF token: refused');
  assert.ok(!forged.body.includes(SECRET));
  assert.equal((await reveal({ cookie, origin: 'https://evil.example' }, `_csrf=${csrf}`)).status, 403, 'from another site: refused');
  assert.equal((await reveal({}, `_csrf=${csrf}`)).status, 401, 'without the session: refused');
  const ok = await reveal({ cookie }, `_csrf=${encodeURIComponent(csrf)}`);
  assert.equal(ok.status, 200, ok.body);
  assert.equal(JSON.parse(ok.body).value, SECRET);
  assert.equal(ok.headers['cache-control'], 'no-store');
  assert.equal((await reveal({ cookie }, `_csrf=${encodeURIComponent(csrf)}`, 'NOPE')).status, 404);
  assert.equal((await send('127.0.0.1', 'GET', '/apps/reveal-app/config-vars/STRIPE_KEY/reveal', { cookie })).status >= 400, true, 'not readable by a GET (a link or an image)');
});

test('guessing tokens: 10 failures per address in 5 minutes, then 429 with Retry-After, for the form and the API, kept across a restart', { timeout: 120_000 }, async () => {
  const attacker = '127.0.0.2';
  const guesses: number[] = [];
  for (let i = 0; i < 12; i++) guesses.push((await signIn(attacker, `guess-${i}-${'x'.repeat(20)}`, '/pipelines')).status);
  assert.deepEqual(guesses, [...Array(10).fill(401), 429, 429], 'the 11th guess is refused without being checked');
  const blocked = await signIn(attacker, TOKEN, '/pipelines');
  assert.equal(blocked.status, 429, 'even the right token: the attacker learns nothing more');
  assert.match(blocked.body, /Too many failed sign-ins from this address \(10 in 5 minutes\): try again in \d+ s/);
  assert.ok(Number(blocked.headers['retry-after']) > 200 && Number(blocked.headers['retry-after']) <= 300, String(blocked.headers['retry-after']));
  const viaApi = await send(attacker, 'GET', '/apps', { authorization: `Bearer ${TOKEN}` });
  assert.equal(viaApi.status, 429);
  assert.equal(JSON.parse(viaApi.body).id, 'too_many_sign_ins');
  assert.ok(Number(viaApi.headers['retry-after']) > 0);
  // Another client is not locked out by the attacker.
  assert.equal((await send('127.0.0.3', 'GET', '/apps', { authorization: `Bearer ${TOKEN}` })).status, 200);

  // API bearer guesses count too, and the window survives a restart (it is in the store).
  const apiAttacker = '127.0.0.4';
  for (let i = 0; i < 10; i++) assert.equal((await send(apiAttacker, 'GET', '/apps', { authorization: `Bearer wrong-${i}-${'y'.repeat(20)}` })).status, 401);
  await s.stop();
  s = await startServer({}, s.dataDir);
  const after = await send(apiAttacker, 'GET', '/apps', { authorization: `Bearer ${TOKEN}` });
  assert.equal(after.status, 429, 'a restart does not reset the attacker\'s window');
  assert.equal((await send(attacker, 'POST', '/login', FORM, new URLSearchParams({ token: TOKEN }).toString())).status, 429);

  // Guesses sharing a token prefix from many addresses are limited by the prefix.
  for (let i = 0; i < 10; i++) assert.equal((await send(`127.0.1.${i + 1}`, 'GET', '/apps', { authorization: `Bearer zzzzzz-${i}` })).status, 401);
  assert.equal((await send('127.0.2.1', 'GET', '/apps', { authorization: 'Bearer zzzzzz-next' })).status, 429);
  assert.equal((await send('127.0.2.1', 'GET', '/apps', { authorization: 'Bearer other-prefix' })).status, 401);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('the dashboard\'s in-process API calls cannot be forged from outside: a made-up key with a real token id is refused', { timeout: 60_000 }, async () => {
  const tokenId = (await (await fetch(`${s.url}/account`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as { id: string }).id;
  assert.ok(tokenId, 'the admin token has an id');
  for (const key of ['0'.repeat(64), 'x', '']) {
    const r = await fetch(`${s.url}/apps`, { method: 'POST', headers: { 'x-slipway-internal': key, 'x-slipway-actor': tokenId, 'content-type': 'application/json' }, body: '{"name":"forged-app"}' });
    assert.equal(r.status, 401, `key "${key.slice(0, 8)}" is refused`);
  }
  const apps = await (await fetch(`${s.url}/apps`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Array<{ name: string }>;
  assert.ok(!apps.some((a) => a.name === 'forged-app'), 'nothing was created');
});
