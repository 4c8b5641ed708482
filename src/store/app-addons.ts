// Add-ons attached to apps (not to test runs): where they run and the URL they were given.
import type { Kysely } from 'kysely';
import type { Database, AppAddonsTable } from './schema.js';
import { fail } from '../core/errors.js';
import { now } from './db.js';
import type { AddonServerStatus } from '../core/addon-server-status.js';

export type AppAddon = AppAddonsTable;

export async function insertAppAddon(db: Kysely<Database>, a: Omit<AppAddon, 'created_at'>): Promise<AppAddon> {
  const row = { ...a, created_at: now() };
  await db.insertInto('app_addons').values(row).execute();
  return row;
}

export const listAppAddons = (db: Kysely<Database>, appId?: string): Promise<AppAddon[]> => {
  const q = db.selectFrom('app_addons').selectAll().orderBy('created_at');
  return (appId ? q.where('app_id', '=', appId) : q).execute();
};

/** An app's add-on by attachment name (DATABASE), config var (DATABASE_URL) or id. */
export async function getAppAddon(db: Kysely<Database>, appId: string, ref: string): Promise<AppAddon> {
  const name = ref.toUpperCase().replace(/_URL$/, '');
  const a = (await listAppAddons(db, appId)).find((x) => x.id === ref || x.name === name);
  if (!a) throw fail('not_found', `This app has no add-on ${ref}. List them with \`slipway addons\`.`);
  return a;
}

export async function deleteAppAddon(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('app_addons').where('id', '=', id).execute();
}

/** An add-on server's status as the host that runs it reported it; only the rows of add-ons that host runs (`agentId`; null: this server's own). */
export async function setAddonServerStatus(db: Kysely<Database>, id: string, agentId: string | null, s: AddonServerStatus): Promise<boolean> {
  let q = db.updateTable('app_addons').set({ server_state: s.state, restarts: s.restarts, last_exit: s.last_exit, server_changed_at: s.changed_at }).where('id', '=', id);
  if (agentId) q = q.where('agent_id', '=', agentId);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}
