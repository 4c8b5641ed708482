// Beyond Heroku: roll back automatically when a new release's web dynos crash soon after it went
// live. Per app, with the config var SLIPWAY_AUTO_ROLLBACK_SECONDS (the watch window; unset = off).
// The window is a row, so a server restarted inside it still rolls back (once).
import type { AppContext } from '../app-context.js';
import type { DynoCrash } from '../scheduler/desired-state-store.js';
import { getApp } from '../store/apps.js';
import { currentRelease, getRelease } from '../store/releases.js';
import { closeRollbackWindow, getRollbackWindow, openRollbackWindow, takeRollbackWindow } from '../store/rollback-windows.js';
import { rollback } from './deploy.js';
import { appendAppLog } from './app-log.js';

export const AUTO_ROLLBACK_VAR = 'SLIPWAY_AUTO_ROLLBACK_SECONDS';

/** Note when a release went live (the window starts then); rollbacks themselves are never rolled back. */
export async function releaseWentLive(ctx: Pick<AppContext, 'store'>, appId: string, release: { id: string; description: string }): Promise<void> {
  if (release.description.startsWith('Rollback to')) await closeRollbackWindow(ctx.store.db, appId);
  else await openRollbackWindow(ctx.store.db, appId, release.id, new Date().toISOString());
}

export async function onDynoCrash(ctx: AppContext, d: DynoCrash): Promise<void> {
  const db = ctx.store.db;
  const live = await getRollbackWindow(db, d.appId);
  if (d.type !== 'web' || !live || live.release_id !== d.releaseId) return;
  const crashed = await getRelease(db, d.appId, d.releaseId);
  const window = Number((JSON.parse(crashed.config) as Record<string, string>)[AUTO_ROLLBACK_VAR] ?? 0);
  const since = Date.now() - Date.parse(live.live_at);
  if (!window || since > window * 1000) return;
  const current = await currentRelease(db, d.appId);
  if (current?.id !== d.releaseId || !await takeRollbackWindow(db, d.appId, d.releaseId)) return;
  const previous = await db.selectFrom('releases').select('version').where('app_id', '=', d.appId).where('status', '=', 'succeeded')
    .where('slug_id', 'is not', null).where('version', '<', current.version).orderBy('version', 'desc').executeTakeFirst();
  if (!previous) return;
  const seconds = Math.round(since / 1000);
  appendAppLog(ctx.logs, d.appId, 'app[api]', `${d.name} of v${current.version} crashed ${seconds} s after release (within ${AUTO_ROLLBACK_VAR}=${window}): rolling back to v${previous.version}`);
  await rollback(ctx, await getApp(db, d.appId), previous.version, `Rollback to v${previous.version} (automatic: ${d.name} of v${current.version} crashed ${seconds} s after release)`);
}
