import type { Kysely } from 'kysely';

// An app's add-on server as its supervisor saw it last (addons/addon-supervisor.ts): its state, the
// times it was started again after its process ended while its host ran, and how its process last
// ended. Written as the host reports it; shown with the add-on (`addons`, the API's `server` field).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('app_addons').addColumn('server_state', 'text').execute();
  await db.schema.alterTable('app_addons').addColumn('restarts', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('app_addons').addColumn('last_exit', 'text').execute();
  await db.schema.alterTable('app_addons').addColumn('server_changed_at', 'text').execute();
}
