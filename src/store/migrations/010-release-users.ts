import type { Kysely } from 'kysely';

// Who made a build and a release (the token's account, the git pusher, "automatic"): Heroku's release `user`.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('builds').addColumn('user_name', 'text').execute();
  await db.schema.alterTable('releases').addColumn('user_name', 'text').execute();
}
