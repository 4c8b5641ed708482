// A pushed commit enters the flow: a test run on the pipeline (if its CI takes the branch), and a
// deploy of the app when the branch is its deploy branch — at once, or once CI has passed.
import { getApp, type App } from '../store/apps.js';
import { couplingOfApp, listCouplings } from '../store/couplings.js';
import { getPipeline, type Pipeline } from '../store/pipelines.js';
import { createDeploy, deploysWaitingOn, moveDeploy, setDeployBuild, type Deploy } from '../store/deploys.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { getTestRun, type TestRun } from '../store/test-runs.js';
import { startTestRun } from '../ci/start-test-run.js';
import { startBuild } from '../releases/deploy.js';
import type { AppContext } from '../app-context.js';
import { branchMatches } from './stages.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';

export interface PushedCommit {
  branch: string | null;
  sha: string;
  message: string | null;
  sourceBlobUrl: string;
  /** What brought the commit in, for the pipeline's log: `git push`, `GitHub push`. */
  via: string;
  actor: string | null;
}

export interface PushOutcome { testRun?: TestRun; deploys: Deploy[]; notes: string[] }

/** The pipeline's CI takes this commit if CI is on and the branch passes the filter. */
async function maybeTest(ctx: AppContext, pipeline: Pipeline, c: PushedCommit, notes: string[]): Promise<TestRun | undefined> {
  if (!pipeline.ci_enabled) return undefined;
  if (!branchMatches(c.branch, pipeline.ci_branches)) {
    const why = `Not tested: branch ${c.branch ?? '(none)'} is outside pipeline ${pipeline.name}'s CI branches (${pipeline.ci_branches}).`;
    notes.push(why);
    await addPipelineEvent(ctx.store.db, pipeline.id, 'ci-skipped', `${c.sha.slice(0, 7)}: ${why}`);
    return undefined;
  }
  const run = await startTestRun(ctx, {
    pipeline, commitBranch: c.branch, commitSha: c.sha, commitMessage: c.message, sourceBlobUrl: c.sourceBlobUrl, clearCache: false, actor: c.actor,
  });
  await addPipelineEvent(ctx.store.db, pipeline.id, 'ci', `Test run #${run.number} started for ${c.sha.slice(0, 7)} on ${c.branch ?? '(no branch)'} (${c.via})`);
  return run;
}

/** Deploy `c` to `app`: wait for `run` when the pipeline gates deploys on CI, else build now. */
async function deploy(ctx: AppContext, app: App, pipeline: Pipeline | null, c: PushedCommit, run: TestRun | undefined, trigger: string): Promise<Deploy> {
  const wait = Boolean(pipeline?.wait_for_ci && run);
  const d = await createDeploy(ctx.store.db, {
    app_id: app.id, pipeline_id: pipeline?.id ?? null, trigger, branch: c.branch, commit_sha: c.sha, commit_message: c.message,
    source_blob_url: c.sourceBlobUrl, test_run_id: run?.id ?? null, status: wait ? 'waiting' : 'building',
  });
  if (pipeline) {
    await addPipelineEvent(ctx.store.db, pipeline.id, 'deploy', wait
      ? `Deploy of ${c.sha.slice(0, 7)} to ${app.name} waits for test run #${run!.number} (wait for CI is on)`
      : `Deploying ${c.sha.slice(0, 7)} to ${app.name} (${trigger}${pipeline.wait_for_ci ? '; no CI run for this commit' : ''})`);
  }
  if (!wait) await buildDeploy(ctx, app, d, c.actor);
  else {
    // The run may have ended already (an invalid app.json errors it at once), before this deploy
    // existed for its end to find: settle it now.
    const now = await getTestRun(ctx.store.db, run!.id);
    if (isTerminal(now.status as TestStatus)) await settleWaitingDeploys(ctx, now);
  }
  return { ...d, status: wait ? 'waiting' : 'building' };
}

/**
 * The deploys that wait for `run`, now that it ended: built when it passed, else skipped. Each
 * deploy leaves `waiting` by one conditional update, so two callers never both build it.
 */
export async function settleWaitingDeploys(ctx: AppContext, run: TestRun): Promise<void> {
  const db = ctx.store.db;
  for (const d of await deploysWaitingOn(db, run.id)) {
    const app = await getApp(db, d.app_id);
    if (run.status === 'succeeded') {
      if (!await moveDeploy(db, d.id, ['waiting'], 'building')) continue;
      await addPipelineEvent(db, run.pipeline_id, 'deploy', `Test run #${run.number} passed: deploying ${d.commit_sha.slice(0, 7)} to ${app.name}`);
      await buildDeploy(ctx, app, d, run.actor); // whoever pushed the commit the run tested
    } else if (await moveDeploy(db, d.id, ['waiting'], 'skipped', { message: `test run #${run.number} ${run.status}` })) {
      await addPipelineEvent(db, run.pipeline_id, 'deploy-skipped', `Not deploying ${d.commit_sha.slice(0, 7)} to ${app.name}: test run #${run.number} ${run.status}`);
    }
  }
}

export async function buildDeploy(ctx: AppContext, app: App, d: Deploy, user: string | null): Promise<void> {
  const build = await startBuild(ctx, app, d.source_blob_url, d.commit_sha, user);
  await setDeployBuild(ctx.store.db, d.id, build.id);
}

/** A push to an app's own git remote (`git push slipway main`). */
export async function pushToApp(ctx: AppContext, app: App, c: PushedCommit): Promise<PushOutcome> {
  const coupling = await couplingOfApp(ctx.store.db, app.id);
  const pipeline = coupling ? await getPipeline(ctx.store.db, coupling.pipeline_id) : null;
  const notes: string[] = [];
  const testRun = pipeline ? await maybeTest(ctx, pipeline, c, notes) : undefined;
  const deployBranches = pipeline ? [pipeline.deploy_branch] : ['main', 'master'];
  if (c.branch === null || !deployBranches.includes(c.branch)) {
    notes.push(`Pushed to branch ${c.branch}; ${app.name} deploys ${deployBranches.join(' or ')} only, so this push was not deployed.`);
    return { testRun, deploys: [], notes };
  }
  return { testRun, deploys: [await deploy(ctx, app, pipeline, c, testRun, c.via)], notes };
}

/** A push to a pipeline's connected repository: CI, then auto-deploy of the development apps. */
export async function pushToPipeline(ctx: AppContext, pipeline: Pipeline, c: PushedCommit): Promise<PushOutcome> {
  const notes: string[] = [];
  const testRun = await maybeTest(ctx, pipeline, c, notes);
  if (!pipeline.auto_deploy || c.branch !== pipeline.deploy_branch) return { testRun, deploys: [], notes };
  const apps = (await listCouplings(ctx.store.db, pipeline.id)).filter((x) => x.stage === 'development');
  const deploys: Deploy[] = [];
  for (const a of apps) deploys.push(await deploy(ctx, await getApp(ctx.store.db, a.app_id), pipeline, c, testRun, `auto-deploy of ${pipeline.deploy_branch}`));
  return { testRun, deploys, notes };
}
