import type { Kysely } from 'kysely';

// Failed sign-ins (dashboard form and API tokens), one row per failure and key (client address or
// token prefix): the rate limit's window survives a restart, and several servers share it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('sign_in_failures').ifNotExists()
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('failed_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_failures_key_at').ifNotExists().on('sign_in_failures').columns(['key', 'failed_at']).execute();
}
