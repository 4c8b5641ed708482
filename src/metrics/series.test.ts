import { test } from 'node:test';
import assert from 'node:assert/strict';
import { series } from './series.js';
import type { RouterMinute } from '../store/metrics.js';

const routerRow = (minute: number, s2: number, binCounts: Record<number, number>): RouterMinute =>
  ({ app_id: 'a', minute, s2, s3: 0, s4: 1, s5: 0, ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`h${i}`, binCounts[i] ?? 0])) }) as RouterMinute;

test('1 h by the minute: counts and percentiles land in their minute, outside the range is left out', () => {
  const to = 1_000_000;
  const s = series({ router: [routerRow(to - 1, 9, { 3: 10 }), routerRow(to - 61, 5, {}), routerRow(to, 5, {})], dynos: [], events: [] }, '1h', to);
  assert.equal(s.points.length, 60);
  assert.equal(s.step_seconds, 60);
  const last = s.points[59]!;
  assert.deepEqual(last.requests, { '2xx': 9, '3xx': 0, '4xx': 1, '5xx': 0 });
  assert.ok(last.p50! > 5 && last.p50! <= 10);
  assert.equal(s.points.reduce((a, p) => a + p.requests['2xx'], 0), 9, 'rows before the range and after it are not counted');
  assert.equal(s.points[0]!.p50, null);
  assert.equal(last.at, new Date((to - 1) * 60_000).toISOString());
});

test('24 h by 10 minutes: minutes add up; memory max and mean per dyno; CPU in cores; events summed', () => {
  const to = 2_000_000;
  const s = series({
    router: [routerRow(to - 10, 1, { 0: 1 }), routerRow(to - 9, 2, { 0: 2 })],
    dynos: [
      { app_id: 'a', minute: to - 10, dyno: 'web.1', memory_max_mb: 100, memory_sum_mb: 300, samples: 4, cpu_ms: 60_000 },
      { app_id: 'a', minute: to - 5, dyno: 'web.1', memory_max_mb: 120, memory_sum_mb: 100, samples: 1, cpu_ms: 240_000 },
    ],
    events: [{ app_id: 'a', minute: to - 8, code: 'H12', count: 2 }, { app_id: 'a', minute: to - 2, code: 'H12', count: 1 }],
  }, '24h', to);
  assert.equal(s.points.length, 144);
  const last = s.points[143]!;
  assert.equal(last.requests['2xx'], 3);
  assert.deepEqual(last.memory['web.1'], { max: 120, mean: 80 });
  assert.equal(last.cpu['web.1'], 0.5);
  assert.deepEqual(last.events, { H12: 3 });
});

test('7 d by the hour', () => {
  const s = series({ router: [], dynos: [], events: [] }, '7d', 3_000_000);
  assert.equal(s.points.length, 168);
  assert.equal(s.step_seconds, 3600);
});
