import type { Kysely } from 'kysely';

// One-off dynos that run on an agent: the row is what `ps`, `run` and the API read (the agent may
// outlive this server process); the job with its lease (kind `one-off`) is how the agent runs it.
// One-offs the server runs itself (server-bound apps) end with the process and have no row.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('one_off_dynos').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('size', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('attach', 'integer', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('one_off_dynos_app').ifNotExists().on('one_off_dynos').columns(['app_id', 'state']).execute();
}
