import type { Kysely } from 'kysely';

// Agents (the execution plane, one per host) and their own kind of token; the last event batch
// recorded per job, so a batch an agent sends again after a lost answer is not recorded twice.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('agents').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    // Null for the embedded agent (`local`), which has no token and never speaks HTTP.
    .addColumn('token_hash', 'text', (c) => c.unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .addColumn('last_seen_at', 'text')
    .addColumn('protocol_version', 'integer')
    .addColumn('slots', 'integer')
    .addColumn('memory_mb', 'integer')
    .addColumn('address', 'text')
    .addColumn('hostname', 'text')
    .addColumn('labels', 'text')
    .execute();
  await db.schema.createTable('agent_event_batches').ifNotExists()
    .addColumn('job_id', 'text', (c) => c.primaryKey())
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
}
