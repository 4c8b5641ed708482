// Attack: names a tenant chooses that JavaScript objects treat specially (`__proto__`,
// `constructor`, `toString`, `hasOwnProperty`) or that no process can hold (NUL bytes), as config
// var keys and values (API and CLI), stage config vars, formation types and Procfile process types.
// Each gets a clear 400 invalid_key (or a build error naming the line), nothing is stored, and the
// server keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, gitPush, TOKEN, type TestServer } from '../helpers/server.js';
import { exampleRepo, commitAll } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';

const A = 'keys-app';
let s: TestServer;
before(async () => {
  s = await startServer();
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  assert.equal((await cli(s, ['pipelines:create', 'keys-pipe'])).code, 0);
});
after(async () => { await s?.stop(); });

/** PATCH with a raw JSON text (so `__proto__` arrives as a key, as an attacker would send it). */
async function patchRaw(p: string, text: string): Promise<{ status: number; json: { id?: string; message?: string } }> {
  const res = await fetch(s.url + p, { method: 'PATCH', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: text });
  return { status: res.status, json: await res.json() as { id?: string; message?: string } };
}

test('config vars named __proto__, constructor, toString, hasOwnProperty or holding NUL get 400 invalid_key', { timeout: 60_000 }, async () => {
  const bodies = ['{"constructor":"x"}', '{"toString":"x"}', '{"hasOwnProperty":"x"}', '{"valueOf":"1"}', '{"A\\u0000B":"x"}', '{"GOOD":"a\\u0000b"}', '{"OK":"1","toString":"x"}'];
  for (const [where, p] of [['app', `/apps/${A}/config-vars`], ['stage', '/pipelines/keys-pipe/stage/staging/config-vars']]) {
    for (const body of bodies) {
      const r = await patchRaw(p!, body);
      assert.equal(r.status, 400, `${where} ${body}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.id, 'invalid_key', `${where} ${body}`);
      assert.match(r.json.message ?? '', /is reserved|NUL byte/, `${where} ${body}`);
    }
    // The JSON parser itself refuses a `__proto__` key (it cannot say which rule it broke).
    for (const body of ['{"__proto__":"x"}', '{"__proto__":{"polluted":"yes"}}']) {
      const r = await patchRaw(p!, body);
      assert.equal(r.status, 400, `${where} ${body}: ${JSON.stringify(r.json)}`);
      assert.equal(r.json.id, 'invalid_json');
      assert.match(r.json.message ?? '', /names "__proto__"/);
    }
  }
  assert.deepEqual((await api(s, 'GET', `/apps/${A}/config-vars`)).json, {}, 'nothing was stored');
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  for (const pair of ['toString=x', '__proto__=x', 'constructor=x']) {
    const r = await cli(s, ['config:set', pair, '-a', A]);
    assert.equal(r.code, 2, `${pair}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /is reserved/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
  }
  const formation = await patchRaw(`/apps/${A}/formation`, '{"updates":[{"type":"constructor","quantity":1}]}');
  assert.equal(formation.status, 400);
  assert.equal(formation.json.id, 'invalid_key');
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('a Procfile declaring __proto__ or toString fails its build with the line named; app.json env __proto__ too', { timeout: 180_000 }, async () => {
  const dir = exampleRepo('web-app', (d) => fs.appendFileSync(path.join(d, 'Procfile'), 'toString: node -e 1\n'));
  assert.equal((await cli(s, ['git:remote', '-a', A], { cwd: dir })).code, 0);
  const push = await gitPush(s, dir, ['slipway', 'main']);
  assert.match(push.output, /Procfile line 3: process type name "toString" is reserved/);
  fs.writeFileSync(path.join(dir, 'Procfile'), 'web: node server.js\n');
  fs.writeFileSync(path.join(dir, 'app.json'), '{"env":{"__proto__":{"value":"x"}}}');
  commitAll(dir, 'app.json with a hostile env key');
  const again = await gitPush(s, dir, ['slipway', 'main']);
  assert.match(again.output, /app\.json is invalid: env: config var name "__proto__" is reserved/);
  const builds = await waitFor('both builds to fail', async () => { const b = (await api<Array<{ status: string }>>(s, 'GET', `/apps/${A}/builds`)).json; return b.length === 2 && b.every((x) => x.status === 'failed') ? b : undefined; });
  assert.equal(builds.length, 2);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});
