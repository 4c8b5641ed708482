import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseAppJson, resolveTestConfig } from './app-json.js';

const ok = (text: string) => {
  const r = parseAppJson(text);
  if (!r.ok) throw new Error(r.message);
  return r.value;
};

test('environments.test overrides the top level; maps merge, lists replace', () => {
  const cfg = resolveTestConfig(ok(JSON.stringify({
    scripts: { test: 'npm test', postdeploy: 'x' },
    env: { A: '1', B: { value: '2' } },
    buildpacks: [{ url: 'heroku/ruby' }],
    environments: { test: { scripts: { 'test-setup': 'make db' }, env: { A: 'test' }, buildpacks: [{ url: 'heroku/nodejs' }], addons: ['heroku-postgresql:in-dyno'], formation: { test: { quantity: 4 } }, timeout: 30 } },
  })));
  assert.deepEqual(cfg, {
    testSetup: 'make db', test: 'npm test', env: { A: 'test', B: '2' }, buildpacks: ['heroku/nodejs'],
    addons: [{ plan: 'heroku-postgresql:in-dyno' }], quantity: 4, timeoutSeconds: 30,
  });
});

test('an empty app.json gives one node, no scripts, detection', () => {
  assert.deepEqual(resolveTestConfig(ok('{}')), { testSetup: undefined, test: undefined, env: {}, buildpacks: [], addons: [], quantity: 1, timeoutSeconds: undefined });
});

test('a wrong type is reported with its JSON path', () => {
  const r = parseAppJson('{"environments":{"test":{"scripts":{"test":42}}}}');
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /environments\.test\.scripts\.test/);
});

test('a syntax error is reported with line and column', () => {
  const r = parseAppJson('{\n  "name": "x",\n}\n');
  assert.equal(r.ok, false);
  assert.match((r as { message: string }).message, /line 3, column 1/);
});

test('secret generators produce a value; descriptions without values are skipped', () => {
  const cfg = resolveTestConfig(ok('{"env":{"S":{"generator":"secret"},"D":{"description":"x"}}}'));
  assert.equal(cfg.env['S']?.length, 64);
  assert.equal('D' in cfg.env, false);
});

test('formation.test.size: at the top level or under environments.test (which wins)', () => {
  assert.equal(resolveTestConfig(ok('{"formation":{"test":{"size":"standard-2x"}}}')).size, 'standard-2x');
  assert.equal(resolveTestConfig(ok('{"formation":{"test":{"size":"standard-2x"}},"environments":{"test":{"formation":{"test":{"quantity":2,"size":"performance-l"}}}}}')).size, 'performance-l');
  assert.equal(resolveTestConfig(ok('{}')).size, undefined);
});

test('app.json env and formation names that are built-in object properties are refused', () => {
  for (const [text, what] of [['{"env":{"__proto__":"x"}}', '__proto__'], ['{"env":{"constructor":{"value":"x"}}}', 'constructor'], ['{"formation":{"toString":{"quantity":1}}}', 'toString'],
    ['{"environments":{"test":{"env":{"hasOwnProperty":"x"}}}}', 'hasOwnProperty']] as const) {
    const r = parseAppJson(text);
    assert.equal(r.ok, false, text);
    assert.match((r as { message: string }).message, new RegExp(`"${what}" is reserved`), text);
  }
});
