import { sql, type Kysely } from 'kysely';

// The last run.N of each app's one-offs, taken with one atomic upsert: reading the number of an
// app's one-offs and inserting the next gave two one-offs started at once (two requests, two
// replicas on Postgres) the same name. Seeded with what the old count gave, so names continue.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('one_off_counters').ifNotExists()
    .addColumn('app_id', 'text', (c) => c.primaryKey())
    .addColumn('last', 'integer', (c) => c.notNull())
    .execute();
  await sql`insert into one_off_counters (app_id, last) select app_id, count(*) from one_off_dynos group by app_id`.execute(db);
}
