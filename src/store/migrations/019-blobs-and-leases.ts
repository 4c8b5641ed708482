import type { Kysely } from 'kysely';

// Blobs every replica reaches when Postgres is the store (a row per blob, its bytes in chunks), and
// named leases (one release phase per app, one deploy per app at a time) that outlive a process:
// a holder that died loses its lease when it expires.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('blobs').ifNotExists()
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('checksum', 'text', (c) => c.notNull())
    .addColumn('chunks', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('blob_chunks').ifNotExists()
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', 'bytea', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_chunks_pk', ['key', 'seq'])
    .execute();
  await db.schema.createTable('leases').ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
}
