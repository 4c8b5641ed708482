import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lineTime } from './app-log.js';

test('lineTime: a line keeps its own time; none, a bad one or one over a day old is now; never ahead of now', { timeout: 5000 }, () => {
  const now = Date.parse('2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('2026-11-30T00:59:58.250Z', now), '2026-11-30T00:59:58.250Z');
  assert.equal(lineTime(undefined, now), '2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('yesterday', now), '2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('2026-11-28T00:00:00.000Z', now), '2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('2026-11-30T01:05:00.000Z', now), '2026-11-30T01:00:00.000Z', 'an agent clock ahead of the server');
});
