// An app's metrics for a range, as the API answers and the app page plots them: the series, and
// the releases made in the range (markers on the timeline).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { metricsBetween } from '../store/metrics.js';
import { minuteOf } from './recorder.js';
import { RANGES, series, type MetricsRange, type MetricsSeries } from './series.js';

export interface AppMetrics extends MetricsSeries {
  releases: Array<{ version: number; description: string; status: string; created_at: string }>;
}

export async function appMetrics(db: Kysely<Database>, appId: string, range: MetricsRange, nowMs = Date.now()): Promise<AppMetrics> {
  const to = minuteOf(nowMs) + 1;
  const from = to - RANGES[range].minutes;
  const s = series(await metricsBetween(db, appId, from, to, RANGES[range].step), range, to);
  const releases = await db.selectFrom('releases').select(['version', 'description', 'status', 'created_at'])
    .where('app_id', '=', appId).where('created_at', '>=', s.from).orderBy('version').execute();
  return { ...s, releases };
}
