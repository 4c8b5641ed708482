// The flow's follow-ups, run by the durable queue from the jobs written with each status change
// (store/flow-edges): a test run started or ended, a build ended, a release settled. Every handler is
// idempotent (keyed jobs, conditional moves), so a job retried after a crash or a failure is safe.
import { RetryLater } from '../jobs/queue.js';
import type { FlowEdgeJob } from '../store/flow-edges.js';
import { getTestRun } from '../store/test-runs.js';
import { getApp } from '../store/apps.js';
import { getRelease } from '../store/releases.js';
import { getBuild } from '../store/builds.js';
import { goLive, startRelease } from '../releases/deploy.js';
import type { AppContext } from '../app-context.js';

/** Run every follow-up of one edge; any that failed makes the job try again later (all are idempotent). */
export async function runFlowEdge(ctx: AppContext, job: FlowEdgeJob): Promise<void> {
  const db = ctx.store.db;
  const problems: string[] = [];
  const each = async <A extends unknown[]>(handlers: Array<(...a: A) => Promise<void>>, ...args: A) => {
    for (const h of handlers) {
      await h(...args).catch((e: Error) => { problems.push(e.message); ctx.log.error(`${job.edge} ${job.id}: ${e.stack ?? e}`); });
    }
  };
  if (job.edge === 'test-run-started') {
    await each(ctx.hooks.testRunStarted, await getTestRun(db, job.id));
  } else if (job.edge === 'test-run-ended') {
    await each(ctx.hooks.testRunEnded, await getTestRun(db, job.id));
  } else if (job.edge === 'build-ended') {
    const build = await db.selectFrom('builds').selectAll().where('id', '=', job.id).executeTakeFirst();
    const app = build && await getApp(db, build.app_id).catch(() => undefined);
    if (!build || !app) return; // the app was destroyed meanwhile
    await each(ctx.hooks.buildEnded, await getBuild(db, app.id, build.id));
    // A built slug's release starts once (a retried job finds it settled or its phase queued by key).
    const release = build.release_id ? await getRelease(db, app.id, build.release_id) : undefined;
    if (release?.status === 'pending') await startRelease(ctx, app, release);
  } else {
    const release = await db.selectFrom('releases').selectAll().where('id', '=', job.id).executeTakeFirst();
    const app = release && await getApp(db, release.app_id).catch(() => undefined);
    if (!release || !app) return;
    // Dynos follow the current release (also after a crash between the settle and the swap).
    if (release.current === 1) await goLive(ctx, app);
    await each(ctx.hooks.releaseSettled, app, release);
  }
  if (problems.length) throw new RetryLater(problems.join('; '));
}
