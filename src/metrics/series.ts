// Stored minutes → the points a plot or the API shows for a range: 1 h by the minute, 24 h by
// 10 minutes, 7 days by the hour; percentiles from the summed bins of each step.
import type { StoredMetrics } from '../store/metrics.js';
import { BIN_COUNT, percentile } from './latency-bins.js';

export const RANGES = { '1h': { minutes: 60, step: 1 }, '24h': { minutes: 1440, step: 10 }, '7d': { minutes: 10_080, step: 60 } } as const;
export type MetricsRange = keyof typeof RANGES;
export const isRange = (r: unknown): r is MetricsRange => typeof r === 'string' && Object.hasOwn(RANGES, r);

export interface MetricsPoint {
  /** The step's start (ISO). */
  at: string;
  requests: { '2xx': number; '3xx': number; '4xx': number; '5xx': number };
  /** Response time percentiles (ms); null in a step without requests. */
  p50: number | null; p95: number | null; p99: number | null;
  /** Per dyno: the most memory (MB) in the step, and the mean of its samples. */
  memory: Record<string, { max: number; mean: number }>;
  /** Per dyno: CPU used over the step, in cores (1 = one core busy throughout). */
  cpu: Record<string, number>;
  /** H/R error codes and `restart`, counted. */
  events: Record<string, number>;
}

export interface MetricsSeries { range: MetricsRange; step_seconds: number; from: string; to: string; points: MetricsPoint[] }

/** The range's points ending with the minute `toMinute` (exclusive). */
export function series(stored: StoredMetrics, range: MetricsRange, toMinute: number): MetricsSeries {
  const { minutes, step } = RANGES[range];
  const from = toMinute - minutes;
  const n = minutes / step;
  const bins = Array.from({ length: n }, () => new Array<number>(BIN_COUNT).fill(0));
  const memory = Array.from({ length: n }, () => new Map<string, { max: number; sum: number; samples: number; cpu: number }>());
  const points: MetricsPoint[] = Array.from({ length: n }, (_, i) => ({
    at: new Date((from + i * step) * 60_000).toISOString(), requests: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, p50: null, p95: null, p99: null, memory: {}, cpu: {}, events: {},
  }));
  const slot = (minute: number) => { const i = Math.floor((minute - from) / step); return i >= 0 && i < n ? i : -1; };
  for (const r of stored.router) {
    const i = slot(r.minute);
    if (i < 0) continue;
    const p = points[i]!;
    p.requests['2xx'] += r.s2; p.requests['3xx'] += r.s3; p.requests['4xx'] += r.s4; p.requests['5xx'] += r.s5;
    const row = r as unknown as Record<string, number>;
    for (let b = 0; b < BIN_COUNT; b++) bins[i]![b]! += row[`h${b}`] ?? 0;
  }
  for (const d of stored.dynos) {
    const i = slot(d.minute);
    if (i < 0) continue;
    const m = memory[i]!.get(d.dyno) ?? { max: 0, sum: 0, samples: 0, cpu: 0 };
    m.max = Math.max(m.max, d.memory_max_mb); m.sum += d.memory_sum_mb; m.samples += d.samples; m.cpu += d.cpu_ms;
    memory[i]!.set(d.dyno, m);
  }
  for (const e of stored.events) {
    const i = slot(e.minute);
    if (i >= 0) points[i]!.events[e.code] = (points[i]!.events[e.code] ?? 0) + e.count;
  }
  points.forEach((p, i) => {
    [p.p50, p.p95, p.p99] = [percentile(bins[i]!, 0.5), percentile(bins[i]!, 0.95), percentile(bins[i]!, 0.99)];
    for (const [dyno, m] of memory[i]!) {
      if (m.samples) p.memory[dyno] = { max: m.max, mean: Math.round((m.sum / m.samples) * 10) / 10 };
      p.cpu[dyno] = Math.round((m.cpu / (step * 60_000)) * 1000) / 1000;
    }
  });
  return { range, step_seconds: step * 60, from: new Date(from * 60_000).toISOString(), to: new Date(toMinute * 60_000).toISOString(), points };
}
