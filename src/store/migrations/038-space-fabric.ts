import type { Kysely } from 'kysely';

// A private space spans the agents allowed to run spaces: each such agent holds a slice of every
// space's range (`agents.space_slice`, given by the server, never claimed), and each dyno in a space
// is reported with its address there (`observed_dynos.space_address`), so every host's resolver of
// the space answers for the space's dynos on the other hosts too.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').addColumn('space_slice', 'integer').execute();
  // Never two live agents with one slice (a revoked agent gives its slice up).
  await db.schema.createIndex('agents_space_slice').ifNotExists().unique().on('agents').column('space_slice').execute();
  await db.schema.alterTable('observed_dynos').addColumn('space_address', 'text').execute();
}
