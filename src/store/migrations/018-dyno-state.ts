import type { Kysely } from 'kysely';

// Dynos as desired and observed state (#14): the control plane writes one desired row per dyno
// (placed on an agent), each agent reports what runs; the router and `ps` read the reports. The
// auto-rollback window is a row so a restart inside it still rolls back. Dynos are placed on the
// agents of migration 017.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('desired_dynos').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('release_id', 'text', (c) => c.notNull())
    .addColumn('process_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('size', 'text', (c) => c.notNull())
    .addColumn('command', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('desired_dynos_app').ifNotExists().on('desired_dynos').columns(['app_id', 'name']).execute();
  await db.schema.createIndex('desired_dynos_agent').ifNotExists().on('desired_dynos').column('agent_id').execute();
  await db.schema.createTable('observed_dynos').ifNotExists()
    .addColumn('dyno_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('release_id', 'text', (c) => c.notNull())
    .addColumn('process_type', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('port', 'integer', (c) => c.notNull())
    .addColumn('restarts', 'integer', (c) => c.notNull())
    .addColumn('changed_at', 'text', (c) => c.notNull())
    .addColumn('reported_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('observed_dynos_pk', ['agent_id', 'dyno_id'])
    .execute();
  await db.schema.createIndex('observed_dynos_app').ifNotExists().on('observed_dynos').column('app_id').execute();
  await db.schema.createTable('auto_rollback_windows').ifNotExists()
    .addColumn('app_id', 'text', (c) => c.primaryKey().references('apps.id').onDelete('cascade'))
    .addColumn('release_id', 'text', (c) => c.notNull())
    .addColumn('live_at', 'text', (c) => c.notNull())
    .execute();
}
