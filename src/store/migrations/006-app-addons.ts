import type { Kysely } from 'kysely';

// Add-ons of apps (heroku-postgresql, heroku-redis): long-lived, attached as <NAME>_URL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('app_addons').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('plan', 'text', (c) => c.notNull())
    .addColumn('service', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('port', 'integer')
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('database', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addUniqueConstraint('app_addons_name', ['app_id', 'name'])
    .execute();
}
