import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statusOf } from './commit-statuses.js';

test('test run outcomes map to commit states: failed tests are failures, other bad ends errors', () => {
  const s = (status: string, message: string | null = null) => statusOf({ status, number: 4, message });
  assert.deepEqual(s('succeeded'), { state: 'success', description: 'Test run #4 succeeded' });
  assert.equal(s('failed').state, 'failure');
  assert.deepEqual(s('errored', 'app.json is invalid'), { state: 'error', description: 'Test run #4 errored: app.json is invalid' });
  assert.equal(s('cancelled').state, 'error');
  for (const st of ['pending', 'creating', 'building', 'running']) assert.equal(s(st).state, 'pending');
});
