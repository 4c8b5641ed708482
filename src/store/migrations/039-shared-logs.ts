import type { Kysely } from 'kysely';

// Output streams and apps' logs every replica reads when Postgres is the store (src/logs/shared-log.ts):
// a row per stream with its next sequence number (its row lock orders the writers of one stream),
// and its chunks by sequence (an app's log: a row per line, the newest 1,500 kept). Unused on SQLite.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('log_streams').ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('next_seq', 'bigint', (c) => c.notNull())
    .addColumn('closed', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('log_chunks').ifNotExists()
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('log_chunks_pk', ['key', 'seq'])
    .execute();
}
