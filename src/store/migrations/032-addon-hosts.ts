import type { Kysely } from 'kysely';

// Where an app's add-on server runs (the agent whose host runs it: the local agent process, or the
// server's own agent), so that the app's dynos, one-offs and release phases are placed where they
// reach it; and a job placed on one agent (a release phase of such an app), which no other takes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('app_addons').addColumn('agent_id', 'text').execute();
  await db.schema.alterTable('jobs').addColumn('agent_id', 'text').execute();
}
