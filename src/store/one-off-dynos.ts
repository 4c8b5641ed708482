// One-off dynos that agents run: created with their job, moved to up and down by the agent's
// events (or by recovery when the agent is lost), read by `ps`, `run` and placement.
import type { Kysely } from 'kysely';
import type { Database, OneOffDynosTable } from './schema.js';
import { now } from './db.js';

export type OneOffRow = OneOffDynosTable;

/**
 * The next run.N of an app (numbered per app, in the store, across restarts): one upsert that
 * increments the app's counter, so one-offs started at once (on several replicas too) never share
 * a name; inside a transaction it holds the counter's row until the commit.
 */
export async function nextOneOffName(db: Kysely<Database>, appId: string): Promise<string> {
  const r = await db.insertInto('one_off_counters').values({ app_id: appId, last: 1 })
    .onConflict((oc) => oc.column('app_id').doUpdateSet((eb) => ({ last: eb('one_off_counters.last', '+', 1) })))
    .returning('last').executeTakeFirstOrThrow();
  return `run.${Number(r.last)}`;
}

export async function insertOneOff(db: Kysely<Database>, row: Omit<OneOffRow, 'state' | 'exit_code' | 'created_at' | 'updated_at'>): Promise<OneOffRow> {
  const full: OneOffRow = { ...row, state: 'starting', exit_code: null, created_at: now(), updated_at: now() };
  await db.insertInto('one_off_dynos').values(full).execute();
  return full;
}

/** An app's one-off by id or by name (the newest of that name). */
export async function findOneOff(db: Kysely<Database>, appId: string, idOrName: string): Promise<OneOffRow | undefined> {
  return db.selectFrom('one_off_dynos').selectAll().where('app_id', '=', appId).where((eb) => eb.or([eb('id', '=', idOrName), eb('name', '=', idOrName)]))
    .orderBy('created_at', 'desc').limit(1).executeTakeFirst();
}

/** An app's one-offs that have not ended. */
export const liveOneOffs = (db: Kysely<Database>, appId: string): Promise<OneOffRow[]> =>
  db.selectFrom('one_off_dynos').selectAll().where('app_id', '=', appId).where('state', '!=', 'down').orderBy('created_at').execute();

/** Every one-off that has not ended, on any agent (the room they hold, for placement). */
export const allLiveOneOffs = (db: Kysely<Database>): Promise<OneOffRow[]> =>
  db.selectFrom('one_off_dynos').selectAll().where('state', '!=', 'down').execute();

/** Up, from starting (false: it had ended already). */
export async function markOneOffUp(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db.updateTable('one_off_dynos').set({ state: 'up', updated_at: now() }).where('id', '=', id).where('state', '=', 'starting').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Down with its exit code (null: it was lost with its agent); false when it had ended already. */
export async function markOneOffDown(db: Kysely<Database>, id: string, exitCode: number | null): Promise<boolean> {
  const r = await db.updateTable('one_off_dynos').set({ state: 'down', exit_code: exitCode, updated_at: now() }).where('id', '=', id).where('state', '!=', 'down').executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
