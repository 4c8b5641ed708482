import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('test_cases').addColumn('flaky', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.createIndex('test_cases_description').ifNotExists().on('test_cases').column('description').execute();
}
