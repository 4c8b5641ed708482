import type { Kysely } from 'kysely';
import type { Database, FormationTable } from './schema.js';
import { now } from './db.js';
import { DEFAULT_DYNO_SIZE } from '../core/dyno-size.js';

export type Formation = FormationTable;

export const getFormation = (db: Kysely<Database>, appId: string): Promise<Formation[]> =>
  db.selectFrom('formation').selectAll().where('app_id', '=', appId).orderBy('type').execute();

/**
 * Set quantities and sizes of process types; what an update leaves out keeps its value (a new
 * type starts at web=1 / others 0, standard-1x). Types not mentioned keep theirs.
 */
export async function scaleFormation(db: Kysely<Database>, appId: string, updates: { type: string; quantity?: number; size?: string }[]): Promise<Formation[]> {
  await db.transaction().execute(async (trx) => {
    for (const u of updates) {
      const had = await trx.selectFrom('formation').selectAll().where('app_id', '=', appId).where('type', '=', u.type).executeTakeFirst();
      await trx.deleteFrom('formation').where('app_id', '=', appId).where('type', '=', u.type).execute();
      await trx.insertInto('formation').values({
        app_id: appId, type: u.type, quantity: u.quantity ?? had?.quantity ?? (u.type === 'web' ? 1 : 0), size: u.size ?? had?.size ?? DEFAULT_DYNO_SIZE, updated_at: now(),
      }).execute();
    }
  });
  return getFormation(db, appId);
}
