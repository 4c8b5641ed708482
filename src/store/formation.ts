import type { Kysely } from 'kysely';
import type { Database, FormationTable } from './schema.js';
import { now } from './db.js';

export type Formation = FormationTable;

export const getFormation = (db: Kysely<Database>, appId: string): Promise<Formation[]> =>
  db.selectFrom('formation').selectAll().where('app_id', '=', appId).orderBy('type').execute();

/** Set quantities (and sizes) of process types; types not mentioned keep theirs. */
export async function scaleFormation(db: Kysely<Database>, appId: string, updates: { type: string; quantity: number; size?: string }[]): Promise<Formation[]> {
  await db.transaction().execute(async (trx) => {
    for (const u of updates) {
      await trx.deleteFrom('formation').where('app_id', '=', appId).where('type', '=', u.type).execute();
      await trx.insertInto('formation').values({ app_id: appId, type: u.type, quantity: u.quantity, size: u.size ?? 'standard-1x', updated_at: now() }).execute();
    }
  });
  return getFormation(db, appId);
}
