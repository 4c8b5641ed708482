import type { Kysely } from 'kysely';

// The Trends tab reads a pipeline's runs of the last 30 days: by (pipeline, created_at) it reads
// those runs only, where the (pipeline, number) index made it read every run the pipeline ever had.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('test_runs_pipeline_created').ifNotExists().on('test_runs').columns(['pipeline_id', 'created_at']).execute();
}
