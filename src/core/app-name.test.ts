import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appNameProblem } from './app-name.js';

test('valid and invalid app names', () => {
  for (const ok of ['shop', 'my-app-staging', 'a12']) assert.equal(appNameProblem(ok), undefined, ok);
  for (const bad of ['ab', 'Shop', '1shop', 'shop-', 'sh_op', 'x'.repeat(31)]) assert.match(appNameProblem(bad)!, /not a valid app name/, bad);
});
