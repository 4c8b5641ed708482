import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStreak, restartDelay, RESTART_BACKOFF } from './companion-supervisor.js';

test('the restart wait doubles with each death in a row, up to the cap', { timeout: 5000 }, () => {
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(n)), [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
  assert.equal(restartDelay(1000), RESTART_BACKOFF.maxMs, 'no overflow however long the streak');
});

test('a companion that ran long enough before it died starts a new streak; one that died soon continues it', { timeout: 5000 }, () => {
  assert.equal(nextStreak(-1, 10), 0, 'the first death');
  assert.equal(nextStreak(0, 5000), 1);
  assert.equal(nextStreak(3, RESTART_BACKOFF.resetAfterMs - 1), 4);
  assert.equal(nextStreak(5, RESTART_BACKOFF.resetAfterMs), 0);
});
