import test from 'node:test';
import assert from 'node:assert/strict';
import { isStale } from './stale-review-apps.js';

test('a review app is stale once its last release is stale-days old, not a moment before', () => {
  const now = Date.parse('2026-11-25T12:00:00.000Z');
  assert.equal(isStale('2026-11-20T12:00:00.000Z', 5, now), true);
  assert.equal(isStale('2026-11-20T12:00:00.001Z', 5, now), false);
  assert.equal(isStale('2026-11-24T12:00:00.000Z', 1, now), true);
  assert.equal(isStale('2026-11-25T11:00:00.000Z', 1, now), false);
});
