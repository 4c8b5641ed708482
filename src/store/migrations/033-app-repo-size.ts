import type { Kysely } from 'kysely';

// An app's git repository size, measured after each push (a list of apps reads it, rather than
// walking every repository on disk); null until measured.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('apps').addColumn('repo_size', 'bigint').execute();
}
