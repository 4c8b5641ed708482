import type { Kysely } from 'kysely';

// Review apps with autodestroy: destroyed after this many days without a new release (Heroku's stale_days).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('pipelines').addColumn('review_stale_days', 'integer', (c) => c.notNull().defaultTo(5)).execute();
}
