import type { Kysely } from 'kysely';

// An app's metrics, one row per minute: the router's requests by status class and response-time
// bins (h0..h14, src/metrics/latency-bins.ts), each dyno's memory and CPU, and event counts
// (H/R error codes, restarts). Kept 7 days (src/metrics/recorder.ts), so the cost per app is fixed.
// And each test case's reported duration (the pipeline's CI trends).
export async function up(db: Kysely<unknown>): Promise<void> {
  let router = db.schema.createTable('router_metrics').ifNotExists()
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('minute', 'integer', (c) => c.notNull())
    .addColumn('s2', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('s3', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('s4', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('s5', 'integer', (c) => c.notNull().defaultTo(0));
  for (let i = 0; i < 15; i++) router = router.addColumn(`h${i}`, 'integer', (c) => c.notNull().defaultTo(0));
  await router.addPrimaryKeyConstraint('router_metrics_pk', ['app_id', 'minute'] as never).execute();
  await db.schema.createTable('dyno_metrics').ifNotExists()
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('minute', 'integer', (c) => c.notNull())
    .addColumn('dyno', 'text', (c) => c.notNull())
    .addColumn('memory_max_mb', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('memory_sum_mb', 'real', (c) => c.notNull().defaultTo(0))
    .addColumn('samples', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('cpu_ms', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('dyno_metrics_pk', ['app_id', 'minute', 'dyno'] as never)
    .execute();
  await db.schema.createTable('app_metric_events').ifNotExists()
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('minute', 'integer', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('app_metric_events_pk', ['app_id', 'minute', 'code'] as never)
    .execute();
  // CI trends: the time each test case reported (TAP duration_ms, JUnit time), for the slowest tests.
  await db.schema.alterTable('test_cases').addColumn('duration_ms', 'real').execute();
}
