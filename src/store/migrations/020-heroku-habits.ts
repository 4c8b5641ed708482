import type { Kysely } from 'kysely';

// Heroku habits: an app's log drains (syslog or HTTPS endpoints its log is copied to) and its
// maintenance flag (the router answers 503 with a maintenance page; dynos keep running), and the
// buildpacks set with `heroku buildpacks:set/add` (a JSON list; null: app.json's, else detection).
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('log_drains').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('token', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('log_drains_app_url', ['app_id', 'url'])
    .execute();
  await db.schema.alterTable('apps').addColumn('maintenance', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('apps').addColumn('buildpacks', 'text').execute();
}
