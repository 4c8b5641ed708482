import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStreak, restartDelay, RESTART_BACKOFF } from './companion-supervisor.js';
import { HANG, hangDetectedWithinMs, nextMisses } from './companion-hang.js';

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

test('a companion is hung after HANG.misses unanswered pings in a row; one answer starts the count again', { timeout: 5000 }, () => {
  let misses = 0;
  for (const answered of [false, false, true, false, false]) misses = nextMisses(misses, answered);
  assert.equal(misses, 2, 'the answer in between reset the count');
  assert.equal(nextMisses(misses, false), HANG.misses, 'the third miss in a row makes a hang');
  assert.equal(hangDetectedWithinMs(), 13_000, '3 pings 3 s apart (each up to a 0.5 s poll late), the last given 2 s');
  assert.equal(hangDetectedWithinMs({ everyMs: 100, timeoutMs: 50, misses: 2 }, 10), 280);
});
