import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BIN_COUNT, binOf, percentile } from './latency-bins.js';

const binned = (times: number[]) => { const b = new Array<number>(BIN_COUNT).fill(0); for (const t of times) b[binOf(t)]!++; return b; };

test('times fall in their bins; beyond 30 s in the last', () => {
  assert.equal(binOf(0), 0);
  assert.equal(binOf(1), 0);
  assert.equal(binOf(3), 2);
  assert.equal(binOf(31_000), BIN_COUNT - 1);
});

test('percentiles stay within the bin of the true value', () => {
  const times = [...Array.from({ length: 90 }, () => 4), ...Array.from({ length: 9 }, () => 150), 2500];
  const b = binned(times);
  const p50 = percentile(b, 0.5)!;
  assert.ok(p50 > 2 && p50 <= 5, String(p50));
  const p95 = percentile(b, 0.95)!;
  assert.ok(p95 > 100 && p95 <= 200, String(p95));
  const p99 = percentile(b, 0.99)!;
  assert.ok(p99 > 100 && p99 <= 200, String(p99));
  assert.equal(percentile(b, 1), 5000, 'the slowest one is in the 2–5 s bin');
});

test('no requests: no percentile; all beyond 30 s: 30 s', () => {
  assert.equal(percentile(new Array<number>(BIN_COUNT).fill(0), 0.5), null);
  assert.equal(percentile(binned([40_000, 50_000]), 0.5), 30_000);
});
