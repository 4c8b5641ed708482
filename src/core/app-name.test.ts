import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appNameProblem, generatedAppName } from './app-name.js';

test('valid and invalid app names', () => {
  for (const ok of ['shop', 'my-app-staging', 'a12']) assert.equal(appNameProblem(ok), undefined, ok);
  for (const bad of ['ab', 'Shop', '1shop', 'shop-', 'sh_op', 'x'.repeat(31)]) assert.match(appNameProblem(bad)!, /not a valid app name/, bad);
});

test('generated names look like Heroku\'s and are valid app names', () => {
  for (let i = 0; i < 200; i++) {
    const name = generatedAppName();
    assert.match(name, /^[a-z]+-[a-z]+-\d{5}$/);
    assert.equal(appNameProblem(name), undefined, name);
  }
  assert.equal(generatedAppName(() => 0), 'ancient-bay-10000');
  assert.equal(generatedAppName(() => 0.99999), 'young-wave-99999');
});
