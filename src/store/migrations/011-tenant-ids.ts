import type { Kysely } from 'kysely';

// One unprivileged uid per tenant (an app, a test run, the add-ons of either), held until it is freed.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('tenant_ids').ifNotExists()
    .addColumn('uid', 'integer', (c) => c.primaryKey())
    .addColumn('owner', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
