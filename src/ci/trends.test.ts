import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dailyTrends, median } from './trends.js';

const run = (at: string, seconds: number, status: string) => ({ created_at: at, finished_at: new Date(Date.parse(at) + seconds * 1000).toISOString(), status });

test('runs fall on their day: counts by outcome, pass rate, median duration; days without runs are empty', () => {
  const now = Date.parse('2026-11-29T15:00:00Z');
  const t = dailyTrends([
    run('2026-11-29T01:00:00Z', 10, 'succeeded'), run('2026-11-29T02:00:00Z', 30, 'failed'), run('2026-11-29T03:00:00Z', 20, 'succeeded'), run('2026-11-29T04:00:00Z', 100, 'errored'),
    run('2026-11-27T23:59:00Z', 5, 'succeeded'),
    run('2026-11-20T12:00:00Z', 5, 'succeeded'),
  ], 3, now);
  assert.deepEqual(t.map((d) => d.day), ['2026-11-27T00:00:00.000Z', '2026-11-28T00:00:00.000Z', '2026-11-29T00:00:00.000Z']);
  assert.deepEqual(t[2], { day: '2026-11-29T00:00:00.000Z', succeeded: 2, failed: 1, other: 1, passRate: 50, medianSeconds: 25 });
  assert.deepEqual([t[1]!.passRate, t[1]!.medianSeconds], [null, null]);
  assert.equal(t[0]!.succeeded, 1, 'a run before the range is left out');
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), null);
});
