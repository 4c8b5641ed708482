// Review apps: an app per open pull request, in the pipeline's review stage, built from the PR's
// head with app.json's `environments.review` (config vars and add-ons); `postdeploy` once after its first release,
// `pr-predestroy` before it is destroyed when the PR closes.
import { getApp, getConfigVars, patchConfigVars, type App } from '../store/apps.js';
import { createCoupling } from '../store/couplings.js';
import type { Pipeline } from '../store/pipelines.js';
import { getStageConfig } from '../store/stage-config-vars.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { claimPostdeploy, openReviewApp, reviewAppOfApp, reviewAppOfPr, updateReviewApp, type ReviewApp } from '../store/review-apps.js';
import { currentRelease, type Release } from '../store/releases.js';
import type { Build } from '../store/builds.js';
import { startBuild } from '../releases/deploy.js';
import { createAppWithRelease, destroyApp } from '../releases/app-lifecycle.js';
import { attachAddon } from '../releases/attach-addon.js';
import type { AppContext } from '../app-context.js';
import { resolveReviewConfig, reviewAppName, reviewAppVars } from './review-config.js';
import { appJsonOfRelease, appJsonOfSource, outputTail, runScript } from './review-scripts.js';
import { inheritOwnership } from '../store/access.js';

export interface PullRequest { number: number; branch: string; sha: string }

/** A PR opened (or new commits on it): create its review app the first time, then build the head. */
export async function deployReviewApp(ctx: AppContext, pipeline: Pipeline, pr: PullRequest, sourceBlobUrl: string): Promise<App> {
  const db = ctx.store.db;
  const row = await openReviewApp(db, pipeline.id, pr.number, pr.branch);
  let app = row.app_id ? await getApp(db, row.app_id).catch(() => undefined) : undefined;
  if (!app) {
    const review = resolveReviewConfig(await appJsonOfSource(ctx, sourceBlobUrl));
    app = await createAppWithRelease(ctx, reviewAppName(pipeline.name, pr.number));
    await inheritOwnership(db, app.id, pipeline);
    await createCoupling(db, pipeline.id, app.id, 'review');
    await updateReviewApp(db, row.id, { app_id: app.id, status: 'creating', message: null });
    // app.json's env, then the pipeline's review-stage vars (secrets set once for every review app), then Heroku's own.
    await patchConfigVars(db, app.id, { ...review.env, ...(await getStageConfig(db, pipeline.id, 'review')), ...reviewAppVars(app.name, pr.branch, pr.number) });
    for (const addon of review.addons) {
      const made = await attachAddon(ctx, app, addon.plan, addon.as).catch(async (e: Error) => {
        await updateReviewApp(db, row.id, { status: 'errored', message: e.message });
        throw e;
      });
      await addPipelineEvent(db, pipeline.id, 'review-app', `PR #${pr.number}: ${addon.plan} attached to ${app.name} as ${made.name}_URL`);
    }
    await addPipelineEvent(db, pipeline.id, 'review-app', `PR #${pr.number} (${pr.branch}): review app ${app.name} created`);
  } else {
    await updateReviewApp(db, row.id, { branch: pr.branch, ...(row.status === 'created' ? {} : { status: 'creating' }) });
    if ((await getConfigVars(db, app.id))['HEROKU_BRANCH'] !== pr.branch) await patchConfigVars(db, app.id, { HEROKU_BRANCH: pr.branch });
  }
  await startBuild(ctx, app, sourceBlobUrl, pr.sha);
  await addPipelineEvent(db, pipeline.id, 'review-app', `PR #${pr.number}: building ${pr.sha.slice(0, 7)} on ${app.name}`);
  return app;
}

/** A PR closed: run `pr-predestroy`, then destroy its app (as Heroku does, always). */
export async function closeReviewApp(ctx: AppContext, pipeline: Pipeline, prNumber: number): Promise<void> {
  const db = ctx.store.db;
  const row = await reviewAppOfPr(db, pipeline.id, prNumber);
  const app = row?.app_id && row.status !== 'deleted' ? await getApp(db, row.app_id).catch(() => undefined) : undefined;
  if (!row || !app) { await addPipelineEvent(db, pipeline.id, 'review-app', `PR #${prNumber} closed: it has no review app`); return; }
  await destroyReviewApp(ctx, pipeline, row, app, `PR #${prNumber} closed`);
}

/** `pr-predestroy` in the app, then the app goes; `why` opens the pipeline event. */
export async function destroyReviewApp(ctx: AppContext, pipeline: Pipeline, row: ReviewApp, app: App, why: string): Promise<void> {
  const db = ctx.store.db;
  await updateReviewApp(db, row.id, { status: 'deleting' });
  const release = await currentRelease(db, app.id);
  const predestroy = release ? resolveReviewConfig(await appJsonOfRelease(ctx, release).catch(() => ({}))).predestroy : undefined;
  if (predestroy) {
    const r = await runScript(ctx, app, 'pr-predestroy', predestroy);
    await addPipelineEvent(db, pipeline.id, 'review-app', `PR #${row.pr_number}: pr-predestroy on ${app.name} exited ${r.exitCode}: ${outputTail(r.output)}`);
  }
  await destroyApp(ctx, app);
  await updateReviewApp(db, row.id, { status: 'deleted', message: `${why}; ${predestroy ? 'pr-predestroy ran, ' : ''}app destroyed` });
  await addPipelineEvent(db, pipeline.id, 'review-app', `${why}: review app ${app.name} destroyed`);
}

/** After a review app's first successful release: `postdeploy`, exactly once. */
async function onReleaseSettled(ctx: AppContext, app: App, release: Release): Promise<void> {
  const db = ctx.store.db;
  const row = await reviewAppOfApp(db, app.id);
  if (!row || !release.slug_id) return;
  if (release.status !== 'succeeded') {
    if (row.status === 'creating') await updateReviewApp(db, row.id, { status: 'errored', message: `release v${release.version} failed: ${release.message ?? ''}` });
    return;
  }
  if (row.status === 'creating') await updateReviewApp(db, row.id, { status: 'created', message: null });
  if (!(await claimPostdeploy(db, row.id))) return;
  const postdeploy = resolveReviewConfig(await appJsonOfRelease(ctx, release)).postdeploy;
  if (!postdeploy) return;
  // Not awaited: the release hook must not hold a runner slot while the script runs.
  void runScript(ctx, app, 'postdeploy', postdeploy).then(async (r) => {
    const outcome = `postdeploy exited ${r.exitCode}: ${outputTail(r.output)}`;
    await updateReviewApp(db, row.id, { message: outcome });
    await addPipelineEvent(db, row.pipeline_id, r.exitCode === 0 ? 'review-app' : 'review-app-failed', `PR #${row.pr_number}: ${outcome}`);
  }).catch((e) => ctx.log.error(`postdeploy of ${app.name}: ${(e as Error).stack}`));
}

async function onBuildEnded(ctx: AppContext, build: Build): Promise<void> {
  if (build.status !== 'failed') return;
  const row = await reviewAppOfApp(ctx.store.db, build.app_id);
  if (!row || row.status !== 'creating') return;
  await updateReviewApp(ctx.store.db, row.id, { status: 'errored', message: `build failed: ${build.message ?? ''}` });
  await addPipelineEvent(ctx.store.db, row.pipeline_id, 'review-app-failed', `PR #${row.pr_number}: build of the review app failed: ${build.message ?? ''}`);
}

export function registerReviewApps(ctx: AppContext): void {
  ctx.hooks.releaseSettled.push((app, release) => onReleaseSettled(ctx, app, release));
  ctx.hooks.buildEnded.push((build) => onBuildEnded(ctx, build));
}
