// Beyond Heroku: roll back automatically when a new release's web dynos crash soon after it went
// live. Per app, with the config var SLIPWAY_AUTO_ROLLBACK_SECONDS (the watch window; unset = off).
import type { AppContext } from '../app-context.js';
import type { Dyno } from '../runtime/dyno-manager.js';
import { getApp } from '../store/apps.js';
import { currentRelease } from '../store/releases.js';
import { rollback } from './deploy.js';
import { appendAppLog } from './app-log.js';

export const AUTO_ROLLBACK_VAR = 'SLIPWAY_AUTO_ROLLBACK_SECONDS';

const liveSince = new Map<string, { releaseId: string; at: number }>();

/** Note when a release went live (the window starts then); rollbacks themselves are never rolled back. */
export function releaseWentLive(appId: string, releaseId: string, description: string): void {
  if (description.startsWith('Rollback to')) liveSince.delete(appId);
  else liveSince.set(appId, { releaseId, at: Date.now() });
}

export async function onDynoCrash(ctx: AppContext, d: Dyno): Promise<void> {
  const window = Number(d.release.config[AUTO_ROLLBACK_VAR] ?? 0);
  const live = liveSince.get(d.appId);
  if (d.type !== 'web' || !window || !live || live.releaseId !== d.release.id || Date.now() - live.at > window * 1000) return;
  liveSince.delete(d.appId);
  const db = ctx.store.db;
  const current = await currentRelease(db, d.appId);
  if (current?.id !== d.release.id) return;
  const previous = await db.selectFrom('releases').select('version').where('app_id', '=', d.appId).where('status', '=', 'succeeded')
    .where('slug_id', 'is not', null).where('version', '<', current.version).orderBy('version', 'desc').executeTakeFirst();
  if (!previous) return;
  const seconds = Math.round((Date.now() - live.at) / 1000);
  appendAppLog(ctx.logs, d.appId, 'app[api]', `${d.name} of v${current.version} crashed ${seconds} s after release (within ${AUTO_ROLLBACK_VAR}=${window}): rolling back to v${previous.version}`);
  await rollback(ctx, await getApp(db, d.appId), previous.version, `Rollback to v${previous.version} (automatic: ${d.name} of v${current.version} crashed ${seconds} s after release)`);
}
