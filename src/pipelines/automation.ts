// The pipeline's automatic steps, hung on the flow hooks (run by the queue, pipelines/flow-edges): deploys waiting for CI, promotion
// targets settling, development → qa auto-promotion, acceptance runs after staging releases.
// Every step is written to the pipeline's event log with its reason, once (a retried follow-up writes no second event).
import { getApp, type App } from '../store/apps.js';
import { couplingOfApp, listCouplings } from '../store/couplings.js';
import { getPipeline } from '../store/pipelines.js';
import { deployOfBuild, moveDeploy } from '../store/deploys.js';
import { settleTargetOfRelease } from '../store/promotions.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { edgeEventKey } from '../store/flow-edges.js';
import type { Release } from '../store/releases.js';
import type { Build } from '../store/builds.js';
import type { TestRun } from '../store/test-runs.js';
import { startTestRun } from '../ci/start-test-run.js';
import type { AppContext } from '../app-context.js';
import { settleWaitingDeploys } from './push.js';
import { promote } from './promote.js';

export const appUrl = (ctx: AppContext, name: string): string => `http://${name}.${ctx.config.domain}:${ctx.config.routerPort}/`;

async function onTestRunEnded(ctx: AppContext, run: TestRun): Promise<void> {
  const db = ctx.store.db;
  if (run.kind === 'acceptance' && run.target_app_id) {
    const target = await getApp(db, run.target_app_id).catch(() => null);
    await addPipelineEvent(db, run.pipeline_id, 'acceptance', `${target?.name ?? 'staging'} v${run.target_release_version}: acceptance ${run.status === 'succeeded' ? 'passed' : run.status} (test run #${run.number})`,
      edgeEventKey('test-run-ended', run.id, 'acceptance'));
  }
  await settleWaitingDeploys(ctx, run);
}

async function onBuildEnded(ctx: AppContext, build: Build): Promise<void> {
  const d = await deployOfBuild(ctx.store.db, build.id);
  if (!d) return;
  if (build.status === 'succeeded') { await moveDeploy(ctx.store.db, d.id, ['building'], 'releasing'); return; }
  if (await moveDeploy(ctx.store.db, d.id, ['building'], 'failed', { message: `build failed: ${build.message}` }) && d.pipeline_id) {
    await addPipelineEvent(ctx.store.db, d.pipeline_id, 'deploy-failed', `Build of ${d.commit_sha.slice(0, 7)} failed: ${build.message}`);
  }
}

async function onReleaseSettled(ctx: AppContext, app: App, release: Release): Promise<void> {
  const db = ctx.store.db;
  const ok = release.status === 'succeeded';
  const settled = await settleTargetOfRelease(db, release.id, ok, ok ? null : release.message ?? 'the release failed');
  const build = await db.selectFrom('builds').selectAll().where('release_id', '=', release.id).executeTakeFirst();
  if (build) {
    const d = await deployOfBuild(db, build.id);
    if (d) await moveDeploy(db, d.id, ['releasing'], ok ? 'succeeded' : 'failed', { message: ok ? null : `release v${release.version} failed: ${release.message}` });
  }
  const coupling = await couplingOfApp(db, app.id);
  if (!coupling) return;
  const pipeline = await getPipeline(db, coupling.pipeline_id);
  if (settled) await addPipelineEvent(db, pipeline.id, 'promotion', `${app.name} v${release.version} ${ok ? 'released' : `failed: ${release.message ?? ''}`}${settled.completed ? ' (promotion complete)' : ''}`, edgeEventKey('release-settled', release.id, 'promotion'));
  if (!ok || !release.slug_id) return;

  // Each step below happens once per release, also when this follow-up runs again after a crash.
  const promoted = await db.selectFrom('pipeline_promotions').select('id').where('source_release_id', '=', release.id).executeTakeFirst();
  if (coupling.stage === 'development' && pipeline.auto_promote && build && !promoted) {
    const qa = (await listCouplings(db, pipeline.id)).filter((c) => c.stage === 'qa');
    if (!qa.length) {
      await addPipelineEvent(db, pipeline.id, 'promotion-skipped', `Auto-promote is on but the pipeline has no qa app: ${app.name} v${release.version} stays in development`,
        edgeEventKey('release-settled', release.id, 'promotion-skipped'));
    } else {
      await promote(ctx, { pipeline, source: app, targets: await Promise.all(qa.map((c) => getApp(db, c.app_id))), actor: null, reason: `Auto-promoted after ${app.name} v${release.version} succeeded` });
    }
  }
  const accepted = await db.selectFrom('test_runs').select('id').where('kind', '=', 'acceptance').where('target_app_id', '=', app.id)
    .where('target_release_version', '=', release.version).executeTakeFirst();
  if (coupling.stage === 'staging' && pipeline.acceptance_command && !accepted) {
    const origin = await db.selectFrom('builds').selectAll().where('slug_id', '=', release.slug_id).executeTakeFirst();
    if (!origin) return;
    const run = await startTestRun(ctx, {
      pipeline, commitBranch: null, commitSha: origin.source_version ?? release.slug_id.replace(/-/g, '').slice(0, 40), commitMessage: `Acceptance of ${app.name} v${release.version}`,
      sourceBlobUrl: origin.source_blob_url, clearCache: false, actor: null,
      acceptance: { command: pipeline.acceptance_command, appId: app.id, appName: app.name, releaseVersion: release.version, url: appUrl(ctx, app.name) },
    });
    await addPipelineEvent(db, pipeline.id, 'acceptance', `${app.name} v${release.version} released: acceptance run #${run.number} started (${pipeline.acceptance_command})`);
  }
}

export function registerPipelineAutomation(ctx: AppContext): void {
  ctx.hooks.testRunEnded.push((run) => onTestRunEnded(ctx, run));
  ctx.hooks.buildEnded.push((build) => onBuildEnded(ctx, build));
  ctx.hooks.releaseSettled.push((app, release) => onReleaseSettled(ctx, app, release));
}
