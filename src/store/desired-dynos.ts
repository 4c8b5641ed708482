// Desired dynos: the rows the control plane writes (one per dyno, placed on an agent).
import type { Kysely } from 'kysely';
import type { Database, DesiredDynosTable } from './schema.js';
import { now } from './db.js';
import { desiredDynosChanged } from '../core/wakeup.js';

export type DesiredDynoRow = DesiredDynosTable;

export const listDesiredDynos = (db: Kysely<Database>, appId: string): Promise<DesiredDynoRow[]> =>
  db.selectFrom('desired_dynos').selectAll().where('app_id', '=', appId).orderBy('name').execute();

/** Every desired row (placement weighs what each agent already holds). */
export const allDesiredDynos = (db: Kysely<Database>): Promise<DesiredDynoRow[]> => db.selectFrom('desired_dynos').selectAll().execute();

/** Apps with at least one desired row. */
export const appsWithDesiredDynos = async (db: Kysely<Database>): Promise<Set<string>> =>
  new Set((await db.selectFrom('desired_dynos').select('app_id').distinct().execute()).map((r) => r.app_id));

/** Replace an app's rows: `remove` go, `create` come, in one transaction. */
export async function replaceDesiredDynos(db: Kysely<Database>, appId: string, remove: readonly string[], create: readonly Omit<DesiredDynoRow, 'created_at' | 'updated_at' | 'app_id'>[]): Promise<void> {
  if (!remove.length && !create.length) return;
  const write = async (trx: Kysely<Database>) => {
    if (remove.length) await trx.deleteFrom('desired_dynos').where('app_id', '=', appId).where('id', 'in', remove).execute();
    const at = now();
    if (create.length) await trx.insertInto('desired_dynos').values(create.map((c) => ({ ...c, app_id: appId, created_at: at, updated_at: at }))).execute();
  };
  // Within the scheduler's transaction (src/scheduler/schedule-app.ts), or in one of its own.
  if (db.isTransaction) await write(db);
  else await db.transaction().execute(write);
  desiredDynosChanged.notify();
}

/** The rows placed on one agent, with what its agent needs to run them (release config, slug). */
export const desiredDynosOnAgent = (db: Kysely<Database>, agentId: string) => db.selectFrom('desired_dynos as d')
  .innerJoin('releases as r', 'r.id', 'd.release_id').innerJoin('apps as a', 'a.id', 'd.app_id')
  .select(['d.id', 'd.app_id', 'd.release_id', 'd.process_type', 'd.name', 'd.size', 'd.command', 'd.generation', 'r.version', 'r.slug_id', 'r.config', 'a.space_id'])
  .where('d.agent_id', '=', agentId).orderBy('d.app_id').orderBy('d.name').execute();

/** An app's dynos are no longer wanted (it is being destroyed). */
export const clearDesiredDynos = async (db: Kysely<Database>, appId: string): Promise<void> => {
  await db.deleteFrom('desired_dynos').where('app_id', '=', appId).execute();
  desiredDynosChanged.notify();
};

/** An app's dynos as `ps` shows them: each desired dyno with its release and the state its agent reported. */
export async function listAppDynos(db: Kysely<Database>, appId: string) {
  const rows = await db.selectFrom('desired_dynos as d').innerJoin('releases as r', 'r.id', 'd.release_id')
    .leftJoin('observed_dynos as o', 'o.dyno_id', 'd.id')
    .select(['d.id', 'd.name', 'd.process_type', 'd.size', 'd.command', 'd.release_id', 'r.version', 'd.created_at', 'd.agent_id', 'o.state', 'o.changed_at'])
    .where('d.app_id', '=', appId).orderBy('d.name').execute();
  return rows.map((r) => ({ ...r, state: r.state === 'stopping' || r.state === 'stopped' ? 'down' : r.state ?? 'starting', updated_at: r.changed_at ?? r.created_at }));
}
