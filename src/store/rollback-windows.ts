// The automatic-rollback window: the release whose web dynos' crashes roll the app back.
import type { Kysely } from 'kysely';
import type { Database, AutoRollbackWindowsTable } from './schema.js';

/** The window opens (or moves on to `releaseId`) now. */
export async function openRollbackWindow(db: Kysely<Database>, appId: string, releaseId: string, at: string): Promise<void> {
  await db.deleteFrom('auto_rollback_windows').where('app_id', '=', appId).execute();
  await db.insertInto('auto_rollback_windows').values({ app_id: appId, release_id: releaseId, live_at: at }).execute();
}

export const closeRollbackWindow = async (db: Kysely<Database>, appId: string): Promise<void> => { await db.deleteFrom('auto_rollback_windows').where('app_id', '=', appId).execute(); };

export const getRollbackWindow = (db: Kysely<Database>, appId: string): Promise<AutoRollbackWindowsTable | undefined> =>
  db.selectFrom('auto_rollback_windows').selectAll().where('app_id', '=', appId).executeTakeFirst();

/** Take the window for `releaseId`: true for exactly one caller (one rollback, however many dynos crash, on however many servers). */
export async function takeRollbackWindow(db: Kysely<Database>, appId: string, releaseId: string): Promise<boolean> {
  const r = await db.deleteFrom('auto_rollback_windows').where('app_id', '=', appId).where('release_id', '=', releaseId).executeTakeFirst();
  return Number(r.numDeletedRows) === 1;
}
