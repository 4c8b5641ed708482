// A pipeline's CI history for its trends: finished runs since a day, and per test (over the last
// runs) how long it took and how often it failed or flaked.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface FinishedRun { created_at: string; finished_at: string; status: string }
export interface TestTiming { description: string; mean_ms: number; max_ms: number; runs: number }
export interface TestFlakiness { description: string; flaky: number; failed: number; runs: number }

export async function finishedRunsSince(db: Kysely<Database>, pipelineId: string, sinceIso: string): Promise<FinishedRun[]> {
  const rows = await db.selectFrom('test_runs').select(['created_at', 'finished_at', 'status'])
    .where('pipeline_id', '=', pipelineId).where('kind', '=', 'ci').where('created_at', '>=', sinceIso).where('finished_at', 'is not', null)
    .orderBy('created_at').execute();
  return rows as FinishedRun[];
}

/** The ids of the pipeline's last `n` runs. */
const lastRuns = (db: Kysely<Database>, pipelineId: string, n: number) =>
  db.selectFrom('test_runs').select('id').where('pipeline_id', '=', pipelineId).orderBy('number', 'desc').limit(n);

export async function slowestTests(db: Kysely<Database>, pipelineId: string, runs: number, limit: number): Promise<TestTiming[]> {
  const rows = await db.selectFrom('test_cases')
    .select(['description', sql<number>`avg(duration_ms)`.as('mean_ms'), sql<number>`max(duration_ms)`.as('max_ms'), sql<number>`count(*)`.as('runs')])
    .where('test_run_id', 'in', lastRuns(db, pipelineId, runs)).where('duration_ms', 'is not', null)
    .groupBy('description').orderBy(sql`avg(duration_ms)`, 'desc').limit(limit).execute();
  return rows.map((r) => ({ description: r.description, mean_ms: Number(r.mean_ms), max_ms: Number(r.max_ms), runs: Number(r.runs) }));
}

export async function flakiestTests(db: Kysely<Database>, pipelineId: string, runs: number, limit: number): Promise<TestFlakiness[]> {
  const flaky = sql<number>`sum(flaky)`;
  const failed = sql<number>`sum(case when status = 'failed' then 1 else 0 end)`;
  const rows = await db.selectFrom('test_cases')
    .select(['description', flaky.as('flaky'), failed.as('failed'), sql<number>`count(*)`.as('runs')])
    .where('test_run_id', 'in', lastRuns(db, pipelineId, runs))
    .groupBy('description').having((eb) => eb.or([eb(flaky, '>', 0), eb(failed, '>', 0)]))
    .orderBy(flaky, 'desc').orderBy(failed, 'desc').orderBy('description').limit(limit).execute();
  return rows.map((r) => ({ description: r.description, flaky: Number(r.flaky), failed: Number(r.failed), runs: Number(r.runs) }));
}
