// Builds and release phases whose server stopped in the middle (killed, crashed, power cut): they
// cannot be resumed, so each ends `failed` with a message that says so, its leftover processes and
// workspace are removed, and the app keeps serving the release it had.
import type { Job } from '../jobs/queue.js';
import type { AppContext } from '../app-context.js';
import { killMarked } from '../sandbox/process-tree.js';
import { removeWorkspace } from '../ci/workspace.js';
import { getApp } from '../store/apps.js';
import { getRelease, settleRelease } from '../store/releases.js';
import { finishBuild } from '../store/builds.js';
import { FLOW_EDGE_JOB, flowEdgeKey } from '../store/flow-edges.js';
import { BUILD_JOB, RELEASE_JOB, type BuildJob, type ReleaseJob } from './jobs.js';
import { buildLogKey, releaseLogKey } from './deploy.js';
import { appendAppLog } from './app-log.js';
import { cleanupBuild } from './run-build.js';

export const BUILD_LOST = 'The server stopped during this build (it was killed or crashed), so the build was abandoned and nothing was released. Push again, or run `slipway builds:create`.';
export const releaseLost = (version: number): string => `The server stopped during the release phase of v${version} (it was killed or crashed); v${version} was not deployed and the current release keeps running. Roll back to it or release again to retry.`;

/** End a lost build or release-phase job `failed` and clean up after it; false for other kinds of job. */
export async function failLostReleaseWork(ctx: AppContext, job: Pick<Job, 'kind' | 'payload'>): Promise<boolean> {
  const db = ctx.store.db;
  // Two recoverers may reach the same lost work (a leader change mid-sweep, a late end of the work
  // itself): the conditional move (pending → failed, by the status machine) records the failure
  // once, and only the recoverer that made it says so in the output and the app's log.
  if (job.kind === BUILD_JOB) {
    const j = JSON.parse(job.payload) as BuildJob;
    killMarked((m) => m === `build-${j.buildId}`);
    await cleanupBuild(ctx.workRoot, j.buildId);
    // A build whose end was recorded just before the stop stays as it is (its follow-ups are queued).
    if (!(await finishBuild(db, j.buildId, { status: 'failed', message: BUILD_LOST }))) return true;
    await sayLost(ctx, buildLogKey(j.buildId), BUILD_LOST);
    appendAppLog(ctx.logs, j.appId, 'app[api]', `Build failed: ${BUILD_LOST}`);
    ctx.control?.poke();
    ctx.log.warn(`build ${j.buildId} of ${j.appName}: the server stopped during it; failed and cleaned up`);
    return true;
  }
  if (job.kind === RELEASE_JOB) {
    const j = JSON.parse(job.payload) as ReleaseJob;
    killMarked((m) => m === `release-${j.releaseId}`);
    await removeWorkspace(ctx.workRoot, `release-${j.releaseId}`);
    // A release already settled (its end was recorded just before the stop) stays as it is.
    if ((await getRelease(db, j.appId, j.releaseId)).status !== 'pending') return true;
    const settled = await settleRelease(db, j.releaseId, { type: 'release-phase-failed' }, releaseLost(j.version)).then((r) => r.settled, async (e: Error) => {
      if ((await getRelease(db, j.appId, j.releaseId)).status !== 'pending') return false; // settled since the read above
      throw e;
    });
    if (!settled) return true;
    await sayLost(ctx, releaseLogKey(j.releaseId), releaseLost(j.version));
    appendAppLog(ctx.logs, j.appId, 'app[api]', `Release v${j.version} failed: ${releaseLost(j.version)}`);
    ctx.control?.poke();
    ctx.log.warn(`release v${j.version} of ${j.appName}: the server stopped during its release phase; failed and cleaned up`);
    return true;
  }
  return false;
}

/** The reason, as the last line of the lost work's output (what was written before the stop is kept). */
async function sayLost(ctx: AppContext, key: string, why: string): Promise<void> {
  ctx.logs.ensureOpen(key);
  ctx.logs.append(key, `\n${why}\n`);
  ctx.logs.close(key);
  await ctx.logs.archived(key);
}

/**
 * Builds and releases left `pending` with no live job (the server stopped between writing the row
 * and queueing its job, or the job ended without recording its end): failed like lost work.
 */
export async function failStrandedReleaseWork(ctx: AppContext, olderThanMs = 60_000): Promise<number> {
  const db = ctx.store.db;
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  const live = (kind: string, prefix: string) => db.selectFrom('jobs').select('key').where('kind', '=', kind).where('status', 'in', ['queued', 'running']).where('key', 'like', `${prefix}%`).execute()
    .then((rows) => new Set(rows.map((r) => r.key)));
  const [liveBuilds, liveReleases, builtEdges] = await Promise.all([live(BUILD_JOB, 'build:'), live(RELEASE_JOB, 'release:'), live(FLOW_EDGE_JOB, flowEdgeKey('build-ended', ''))]);
  let n = 0;
  for (const b of await db.selectFrom('builds').select(['id', 'app_id']).where('status', '=', 'pending').where('created_at', '<', cutoff).execute()) {
    if (liveBuilds.has(`build:${b.id}`)) continue;
    const app = await getApp(db, b.app_id);
    n += Number(await failLostReleaseWork(ctx, { kind: BUILD_JOB, payload: JSON.stringify({ buildId: b.id, appId: app.id, appName: app.name, sourceBlobUrl: '', configVars: {} } satisfies BuildJob) }));
  }
  for (const r of await db.selectFrom('releases').select(['id', 'app_id', 'version', 'slug_id']).where('status', '=', 'pending').where('created_at', '<', cutoff).execute()) {
    if (liveReleases.has(`release:${r.id}`)) continue;
    // A built slug's release that waits for its build's follow-up (queued, it starts the release) is not stranded.
    const build = await db.selectFrom('builds').select('id').where('release_id', '=', r.id).executeTakeFirst();
    if (build && builtEdges.has(flowEdgeKey('build-ended', build.id))) continue;
    const app = await getApp(db, r.app_id);
    const job: ReleaseJob = { releaseId: r.id, appId: app.id, appName: app.name, version: r.version, slugId: r.slug_id ?? '', config: {}, command: '', timeoutSeconds: 0 };
    n += Number(await failLostReleaseWork(ctx, { kind: RELEASE_JOB, payload: JSON.stringify(job) }));
  }
  return n;
}
