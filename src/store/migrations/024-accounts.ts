import { createHmac, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';

// Accounts and access (issue #15): users, teams with members, per-app collaborators, owners of apps
// and pipelines, and API authorizations per user with scopes and an expiry. Token hashes become
// keyed (HMAC with a key of their own in settings) over the old sha256, so existing tokens keep working.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('users').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('teams').ifNotExists()
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createTable('team_members').ifNotExists()
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('team_members_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createTable('app_collaborators').ifNotExists()
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('permissions', 'text', (c) => c.notNull()) // comma-separated: view,deploy,operate,manage
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('app_collaborators_pk', ['app_id', 'user_id'])
    .execute();
  for (const t of ['apps', 'pipelines']) {
    await db.schema.alterTable(t).addColumn('owner_user_id', 'text').execute();
    await db.schema.alterTable(t).addColumn('team_id', 'text').execute();
  }
  await db.schema.alterTable('tokens').addColumn('user_id', 'text').execute();
  await db.schema.alterTable('tokens').addColumn('scopes', 'text', (c) => c.notNull().defaultTo('write')).execute();
  await db.schema.alterTable('tokens').addColumn('expires_at', 'text').execute();

  const key = randomBytes(32).toString('hex');
  await sql`insert into settings (key, value) values ('token_hash_key', ${key})`.execute(db);
  const rows = await sql<{ id: string; hash: string }>`select id, hash from tokens`.execute(db);
  for (const r of rows.rows) {
    await sql`update tokens set hash = ${createHmac('sha256', key).update(r.hash).digest('hex')} where id = ${r.id}`.execute(db);
  }
}
