import type { Kysely } from 'kysely';
import type { Database, AppsTable } from './schema.js';
import { isUuid, newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { appNameProblem } from '../core/app-name.js';
import { now } from './db.js';

export type App = Omit<AppsTable, 'release_counter' | 'maintenance'> & { release_counter: number; maintenance: number };

export async function createApp(db: Kysely<Database>, name: string): Promise<App> {
  const problem = appNameProblem(name);
  if (problem) throw fail('invalid_params', problem);
  if (await db.selectFrom('apps').select('id').where('name', '=', name).executeTakeFirst()) throw fail('name_taken', `An app named "${name}" already exists.`);
  // Nothing pushed yet: 0 bytes (a push measures the repository and keeps the figure, git/repo-size.ts).
  const row = { id: newId(), name, stack: 'heroku-24', created_at: now(), updated_at: now(), repo_size: 0 };
  await db.insertInto('apps').values(row).execute();
  return { ...row, release_counter: 0, maintenance: 0 };
}

/** An app by name or id, or app_not_found. */
export async function getApp(db: Kysely<Database>, nameOrId: string): Promise<App> {
  const app = await db.selectFrom('apps').selectAll().where(isUuid(nameOrId) ? 'id' : 'name', '=', nameOrId).executeTakeFirst();
  if (!app) throw fail('app_not_found', `Couldn't find an app named "${nameOrId}". List apps with \`slipway apps\`.`);
  return app;
}

export const listApps = (db: Kysely<Database>): Promise<App[]> => db.selectFrom('apps').selectAll().orderBy('name').execute();

export async function deleteApp(db: Kysely<Database>, id: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // Tables without a foreign key to apps (their rows outlive a server, not the app).
    await trx.deleteFrom('one_off_dynos').where('app_id', '=', id).execute();
    await trx.deleteFrom('one_off_counters').where('app_id', '=', id).execute();
    await trx.deleteFrom('apps').where('id', '=', id).execute();
  });
}

export async function getConfigVars(db: Kysely<Database>, appId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('app_config_vars').select(['key', 'value']).where('app_id', '=', appId).orderBy('key').execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Heroku's PATCH semantics: a string sets, null unsets. Returns whether anything changed. */
export async function patchConfigVars(db: Kysely<Database>, appId: string, patch: Record<string, string | null>): Promise<boolean> {
  const before = await getConfigVars(db, appId);
  const changed = Object.entries(patch).filter(([k, v]) => (v === null ? k in before : before[k] !== v));
  await db.transaction().execute(async (trx) => {
    for (const [key, value] of changed) {
      await trx.deleteFrom('app_config_vars').where('app_id', '=', appId).where('key', '=', key).execute();
      if (value !== null) await trx.insertInto('app_config_vars').values({ app_id: appId, key, value }).execute();
    }
  });
  return changed.length > 0;
}

/** Rename an app: its repository, slugs, couplings and dynos follow (they hold its id, not its name). */
export async function renameApp(db: Kysely<Database>, app: App, name: string): Promise<App> {
  const problem = appNameProblem(name);
  if (problem) throw fail('invalid_params', problem);
  if (name !== app.name && await db.selectFrom('apps').select('id').where('name', '=', name).executeTakeFirst()) throw fail('name_taken', `An app named "${name}" already exists.`);
  await db.updateTable('apps').set({ name, updated_at: now() }).where('id', '=', app.id).execute();
  return getApp(db, app.id);
}

/** Maintenance mode: the router answers 503 with a maintenance page; the dynos keep running. */
export async function setMaintenance(db: Kysely<Database>, appId: string, on: boolean): Promise<void> {
  await db.updateTable('apps').set({ maintenance: on ? 1 : 0, updated_at: now() }).where('id', '=', appId).execute();
}

/** The app's own buildpacks (`heroku buildpacks:set`), used by its builds instead of app.json's; an empty list clears them. */
export async function setBuildpacks(db: Kysely<Database>, appId: string, urls: string[]): Promise<void> {
  await db.updateTable('apps').set({ buildpacks: urls.length ? JSON.stringify(urls) : null, updated_at: now() }).where('id', '=', appId).execute();
}

export const appBuildpacks = (a: Pick<App, 'buildpacks'>): string[] => (a.buildpacks ? JSON.parse(a.buildpacks) as string[] : []);
