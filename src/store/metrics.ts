// An app's metrics in the store: minutes are added to (so replicas and flushes add up, never
// overwrite), read back for a time range, and dropped after the retention period.
import { sql, type Kysely } from 'kysely';
import type { Database, RouterMetricsTable, DynoMetricsTable, AppMetricEventsTable } from './schema.js';
import { BIN_COUNT } from '../metrics/latency-bins.js';

export type RouterMinute = RouterMetricsTable;
export type DynoMinute = DynoMetricsTable;
export type EventMinute = AppMetricEventsTable;

const BIN_COLUMNS = Array.from({ length: BIN_COUNT }, (_, i) => `h${i}` as const);
const ROUTER_COUNTS = ['s2', 's3', 's4', 's5', ...BIN_COLUMNS] as const;

/** Add minutes of routed requests to what is stored. */
export async function addRouterMinutes(db: Kysely<Database>, rows: RouterMinute[]): Promise<void> {
  for (const r of rows) {
    await db.insertInto('router_metrics').values(r)
      .onConflict((oc) => oc.columns(['app_id', 'minute']).doUpdateSet(Object.fromEntries(ROUTER_COUNTS.map((c) => [c, sql`router_metrics.${sql.ref(c)} + excluded.${sql.ref(c)}`]))))
      .execute();
  }
}

/** Add minutes of dyno samples (the larger maximum wins). */
export async function addDynoMinutes(db: Kysely<Database>, rows: DynoMinute[]): Promise<void> {
  for (const r of rows) {
    await db.insertInto('dyno_metrics').values(r)
      .onConflict((oc) => oc.columns(['app_id', 'minute', 'dyno']).doUpdateSet({
        memory_max_mb: sql`CASE WHEN excluded.memory_max_mb > dyno_metrics.memory_max_mb THEN excluded.memory_max_mb ELSE dyno_metrics.memory_max_mb END`,
        memory_sum_mb: sql`dyno_metrics.memory_sum_mb + excluded.memory_sum_mb`,
        samples: sql`dyno_metrics.samples + excluded.samples`,
        cpu_ms: sql`dyno_metrics.cpu_ms + excluded.cpu_ms`,
      }))
      .execute();
  }
}

/** Add event counts. */
export async function addEventMinutes(db: Kysely<Database>, rows: EventMinute[]): Promise<void> {
  for (const r of rows) {
    await db.insertInto('app_metric_events').values(r)
      .onConflict((oc) => oc.columns(['app_id', 'minute', 'code']).doUpdateSet({ count: sql`app_metric_events.count + excluded.count` }))
      .execute();
  }
}

export interface StoredMetrics { router: RouterMinute[]; dynos: DynoMinute[]; events: EventMinute[] }

/**
 * The app's minutes in [fromMinute, toMinute), summed per step of `step` minutes in the database
 * (a row's `minute` is its step's first minute), so a week by the hour reads 168 rows, not 10,080.
 */
export async function metricsBetween(db: Kysely<Database>, appId: string, fromMinute: number, toMinute: number, step = 1): Promise<StoredMetrics> {
  // Literals (integers this code computed), so the same expression can be grouped by on Postgres.
  const [f, st] = [sql.lit(Math.trunc(fromMinute)), sql.lit(Math.max(1, Math.trunc(step)))];
  const slot = sql<number>`(${f} + ((minute - ${f}) / ${st}) * ${st})`;
  const sum = (c: string) => sql<number>`sum(${sql.ref(c)})`.as(c);
  const [router, dynos, events] = await Promise.all([
    db.selectFrom('router_metrics').select([slot.as('minute'), ...ROUTER_COUNTS.map(sum)])
      .where('app_id', '=', appId).where('minute', '>=', fromMinute).where('minute', '<', toMinute).groupBy(slot).orderBy(slot).execute(),
    db.selectFrom('dyno_metrics').select([slot.as('minute'), 'dyno', sql<number>`max(memory_max_mb)`.as('memory_max_mb'), sum('memory_sum_mb'), sum('samples'), sum('cpu_ms')])
      .where('app_id', '=', appId).where('minute', '>=', fromMinute).where('minute', '<', toMinute).groupBy([slot, 'dyno']).orderBy(slot).execute(),
    db.selectFrom('app_metric_events').select([slot.as('minute'), 'code', sum('count')])
      .where('app_id', '=', appId).where('minute', '>=', fromMinute).where('minute', '<', toMinute).groupBy([slot, 'code']).orderBy(slot).execute(),
  ]);
  // Postgres answers sums of integers as strings (bigint/numeric).
  const numbers = <T extends object>(r: T): T => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k === 'dyno' || k === 'code' ? v : Number(v)])) as T;
  return {
    router: router.map((r) => ({ ...numbers(r), app_id: appId }) as RouterMinute),
    dynos: dynos.map((r) => ({ ...numbers(r), app_id: appId }) as DynoMinute),
    events: events.map((r) => ({ ...numbers(r), app_id: appId }) as EventMinute),
  };
}

/** Drop minutes before `beforeMinute`, and every minute of apps that no longer exist; returns rows dropped. */
export async function purgeMetrics(db: Kysely<Database>, beforeMinute: number): Promise<number> {
  let n = 0;
  for (const table of ['router_metrics', 'dyno_metrics', 'app_metric_events'] as const) {
    const r = await db.deleteFrom(table).where((eb) => eb.or([eb('minute', '<', beforeMinute), eb('app_id', 'not in', eb.selectFrom('apps').select('id'))])).executeTakeFirst();
    n += Number(r.numDeletedRows);
  }
  return n;
}
