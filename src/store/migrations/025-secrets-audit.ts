import type { Kysely } from 'kysely';

// The audit log (who changed what, when, from where), and the end of the URL-signing secret kept in
// the clear: signing keys are now derived from the secret key. Existing secret values are sealed at
// start-up (src/secrets/reseal.ts), which needs the key a migration does not have.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('audit_events').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('app_id', 'text')
    .addColumn('app_name', 'text')
    .addColumn('target', 'text', (c) => c.notNull())
    .addColumn('details', 'text')
    .addColumn('ip', 'text')
    .execute();
  await db.schema.createIndex('audit_events_at').ifNotExists().on('audit_events').column('at').execute();
  await db.schema.createIndex('audit_events_app').ifNotExists().on('audit_events').columns(['app_id', 'at']).execute();
  await (db as Kysely<{ settings: { key: string } }>).deleteFrom('settings').where('key', '=', 'url_signing_secret').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_events').ifExists().execute();
}
