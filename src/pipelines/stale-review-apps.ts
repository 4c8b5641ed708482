// Autodestroy (Heroku's "destroy stale review apps"): a review app whose last release is older than
// the pipeline's stale days is destroyed, pr-predestroy first, as if its pull request had closed.
import { listPipelines } from '../store/pipelines.js';
import { listReviewApps } from '../store/review-apps.js';
import { currentRelease } from '../store/releases.js';
import { getApp } from '../store/apps.js';
import type { AppContext } from '../app-context.js';
import { destroyReviewApp } from './review-apps.js';

const DAY_MS = 86_400_000;

/** Stale: no release for at least `staleDays` days before `nowMs`. */
export const isStale = (lastReleaseAt: string, staleDays: number, nowMs: number): boolean => nowMs - Date.parse(lastReleaseAt) >= staleDays * DAY_MS;

/** Destroy every stale review app of the pipelines that asked for it; returns how many went. */
export async function sweepStaleReviewApps(ctx: AppContext, nowMs = Date.now()): Promise<number> {
  const db = ctx.store.db;
  let n = 0;
  for (const p of await listPipelines(db)) {
    if (!p.review_apps || !p.review_autodestroy) continue;
    for (const row of await listReviewApps(db, p.id)) {
      if (!row.app_id || (row.status !== 'created' && row.status !== 'errored')) continue;
      const app = await getApp(db, row.app_id).catch(() => undefined);
      const release = app && await currentRelease(db, app.id);
      if (!app || !release || !isStale(release.created_at, p.review_stale_days, nowMs)) continue;
      await destroyReviewApp(ctx, p, row, app, `PR #${row.pr_number}: no new release for ${p.review_stale_days} day(s) (autodestroy)`);
      n++;
    }
  }
  return n;
}
