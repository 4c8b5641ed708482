import type { Kysely } from 'kysely';

// Private spaces: their network (CIDR, trusted ranges, egress allow-list); apps and CI placed in them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('spaces').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('cidr', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('shield', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('trusted_ips', 'text', (c) => c.notNull())
    .addColumn('egress_rules', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.alterTable('apps').addColumn('space_id', 'text').execute();
  await db.schema.alterTable('apps').addColumn('internal_routing', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('pipelines').addColumn('ci_space_id', 'text').execute();
}
