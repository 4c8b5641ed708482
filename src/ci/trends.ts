// A pipeline's runs per day: how many, how many passed, and the median duration — the CI trends
// the pipeline's Trends tab plots.
import type { FinishedRun } from '../store/ci-trends.js';

export interface DayTrend {
  /** The day's start (ISO, UTC). */
  day: string;
  succeeded: number;
  failed: number;
  /** errored or cancelled */
  other: number;
  /** Percent of finished runs that succeeded; null on a day without runs. */
  passRate: number | null;
  /** Median wall time of the day's runs (s); null without runs. */
  medianSeconds: number | null;
}

const DAY = 86_400_000;

export function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `days` days ending with the day of `nowMs`. */
export function dailyTrends(runs: FinishedRun[], days: number, nowMs: number): DayTrend[] {
  const first = Math.floor(nowMs / DAY) * DAY - (days - 1) * DAY;
  const slots = Array.from({ length: days }, () => ({ succeeded: 0, failed: 0, other: 0, durations: [] as number[] }));
  for (const r of runs) {
    const i = Math.floor((Date.parse(r.created_at) - first) / DAY);
    const slot = slots[i];
    if (!slot) continue;
    if (r.status === 'succeeded') slot.succeeded++;
    else if (r.status === 'failed') slot.failed++;
    else slot.other++;
    slot.durations.push((Date.parse(r.finished_at) - Date.parse(r.created_at)) / 1000);
  }
  return slots.map((s, i) => {
    const n = s.succeeded + s.failed + s.other;
    const med = median(s.durations);
    return { day: new Date(first + i * DAY).toISOString(), succeeded: s.succeeded, failed: s.failed, other: s.other, passRate: n ? Math.round((s.succeeded / n) * 1000) / 10 : null, medianSeconds: med === null ? null : Math.round(med * 10) / 10 };
  });
}
