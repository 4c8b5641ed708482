import type { Kysely } from 'kysely';

// Routers as processes of their own: each has a token of its own kind (it opens the router's
// routes under /agent/v1/router/ and nothing else) and is seen while its table stream is open.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('routers').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('token_hash', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('last_seen_at', 'text')
    .execute();
  await db.schema.createIndex('routers_token').ifNotExists().on('routers').column('token_hash').execute();
}
