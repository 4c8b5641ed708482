// Creating and destroying an app, shared by the apps API and review apps.
import fs from 'node:fs';
import path from 'node:path';
import { createApp, deleteApp, type App } from '../store/apps.js';
import { createRelease, settleRelease } from '../store/releases.js';
import { listAppAddons } from '../store/app-addons.js';
import { removeRepo } from '../git/repos.js';
import type { AppContext } from '../app-context.js';
import { appendAppLog, appLogKey } from './app-log.js';
import { clearDesiredDynos } from '../store/desired-dynos.js';
import { removeSlugs } from './slugs.js';
import { stopAppWork } from './stop-app-work.js';

/** A new app with its v1 "Initial release" (no code yet), known to the router at once. */
export async function createAppWithRelease(ctx: AppContext, name: string): Promise<App> {
  const db = ctx.store.db;
  const a = await createApp(db, name);
  const v1 = await createRelease(db, { appId: a.id, slugId: null, config: {}, description: 'Initial release' });
  await settleRelease(db, v1.id, { type: 'no-release-phase' }, null, false); // nothing follows an empty v1
  await ctx.onAppsChanged?.();
  appendAppLog(ctx.logs, a.id, 'app[api]', 'App created; release v1 (Initial release)');
  return a;
}

/** Stop the app's dynos, remove its add-ons, slugs (unless promoted elsewhere), repository, cache and logs. */
export async function destroyApp(ctx: AppContext, a: App): Promise<void> {
  const db = ctx.store.db;
  await clearDesiredDynos(db, a.id);
  // The dynos are gone (on every agent) before their add-ons are.
  await ctx.desiredChanged(a.id);
  // Its one-offs, builds and release phases too: they run as its uid, freed below.
  if (!(await stopAppWork(ctx, a.id))) ctx.log.error(`destroying ${a.name}: some of its one-off dynos, builds or release phases had not stopped after 15 s`);
  for (const addon of await listAppAddons(db, a.id)) await ctx.appAddons.destroyForApp(addon).catch((e: Error) => ctx.log.error(`removing add-on ${addon.name} of ${a.name}: ${e.message}`));
  // A slug promoted to other apps stays with them: it moves to one of them instead of going.
  const slugs = await db.selectFrom('slugs').select('id').where('app_id', '=', a.id).execute();
  const gone: string[] = [];
  for (const s of slugs) {
    const user = await db.selectFrom('releases').select('app_id').where('slug_id', '=', s.id).where('app_id', '<>', a.id).executeTakeFirst();
    if (user) await db.updateTable('slugs').set({ app_id: user.app_id }).where('id', '=', s.id).execute();
    else gone.push(s.id);
  }
  await deleteApp(db, a.id);
  await ctx.tenants.freeApp(a.id);
  await removeSlugs(ctx.blobs, gone);
  removeRepo(ctx.config.dataDir, a.id);
  fs.rmSync(path.join(ctx.config.dataDir, 'build-cache', a.id), { recursive: true, force: true });
  ctx.logs.close(appLogKey(a.id)); // its followers end, its file handle is let go
  fs.rmSync(path.join(ctx.config.dataDir, 'logs', 'apps', a.id), { recursive: true, force: true });
  await ctx.onAppsChanged?.();
}
