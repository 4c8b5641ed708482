// Control plane: a new test run — read its app.json, create its nodes, queue one job per node.
import fs from 'node:fs';
import path from 'node:path';
import { isAppJson, scanTarball } from '../git/tar-scan.js';
import { fetchSourceTo } from '../git/fetch-source.js';
import { parseAppJson, resolveTestConfig, type TestConfig } from '../core/app-json.js';
import { createTestRun, createTestNodes, errorRunBeforeNodes, setWaitingReason, type TestRun } from '../store/test-runs.js';
import type { Pipeline } from '../store/pipelines.js';
import { enqueue } from '../jobs/queue.js';
import { sourceIdFromUrl, sourceKey } from '../git/source-blobs.js';
import { fail, type ErrorId } from '../core/errors.js';
import type { AppContext } from '../app-context.js';
import { DEFAULT_TEST_SIZE, lookupDynoSize } from '../core/dyno-size.js';
import { TEST_NODE_JOB, TEST_RUN_ADDONS_JOB } from './test-node-job.js';
import type { StoredTestNodeJob } from '../runner/job-config.js';
import { parseAddons } from '../addons/addon-spec.js';
import type { RunAddonsJob } from './provision-run-addons.js';
import { settleRun } from './settle-run.js';

export const MAX_TEST_NODES = 32;

export interface StartTestRun {
  pipeline: Pipeline;
  commitBranch: string | null;
  commitSha: string;
  commitMessage: string | null;
  sourceBlobUrl: string;
  clearCache: boolean;
  actor: string | null;
  /** An acceptance run: this command instead of app.json's test script, against a deployed app. */
  acceptance?: { command: string; appId: string; appName: string; releaseVersion: number; url: string };
}

/** Read app.json out of a source tarball (at its root or under a single top folder); absent → {}. */
async function readAppJson(ctx: AppContext, tarball: string): Promise<{ ok: true; text: string } | { ok: false; errorId: ErrorId; message: string }> {
  const r = await scanTarball(tarball, ctx.config.inputLimits, 'The source', isAppJson);
  if (!r.ok) return r;
  return { ok: true, text: r.member === null ? '{}' : r.member.data.toString('utf8') };
}

/** app.json of the run's source: a stored source, or one downloaded from the URL a client gave (within the limits). */
async function appJsonOfRun(ctx: AppContext, sourceId: string | undefined, url: string): ReturnType<typeof readAppJson> {
  if (sourceId) {
    const file = await ctx.blobs.localFile(sourceKey(sourceId));
    if (!file) return { ok: false, errorId: 'source_not_found', message: 'The source of this run is no longer stored.' };
    return readAppJson(ctx, file);
  }
  const dir = await fs.promises.mkdtemp(path.join(ctx.workRoot, 'source-'));
  try {
    const file = path.join(dir, 'source.tgz');
    const got = await fetchSourceTo(ctx.blobs, url, file, ctx.config.inputLimits).then(() => undefined, (e: Error) => e);
    if (got) return { ok: false, errorId: 'source_not_found', message: `Slipway could not read this run's source: ${got.message}. Check that source_blob_url serves a gzipped tarball.` };
    return await readAppJson(ctx, file);
  } finally {
    await fs.promises.rm(dir, { recursive: true, force: true });
  }
}

export async function startTestRun(ctx: AppContext, s: StartTestRun): Promise<TestRun> {
  const sourceId = sourceIdFromUrl(s.sourceBlobUrl);
  if (sourceId && !(await ctx.blobs.exists(sourceKey(sourceId)))) throw fail('source_not_found');
  if (!sourceId && !/^https?:\/\//.test(s.sourceBlobUrl)) throw fail('invalid_params', 'source_blob_url must be an http(s) URL of a gzipped tarball (from POST /sources).');
  const db = ctx.store.db;
  const run = await createTestRun(db, {
    pipelineId: s.pipeline.id, commitBranch: s.commitBranch, commitSha: s.commitSha, commitMessage: s.commitMessage,
    sourceBlobUrl: s.sourceBlobUrl, sourceId: sourceId ?? null, clearCache: s.clearCache,
    timeoutSeconds: s.pipeline.ci_timeout_seconds ?? ctx.config.ciTimeoutSeconds, actor: s.actor,
    acceptance: s.acceptance && { command: s.acceptance.command, appId: s.acceptance.appId, releaseVersion: s.acceptance.releaseVersion },
  });
  try {
    await queueNodes(ctx, s, run, sourceId);
  } catch (e) {
    await errorRunBeforeNodes(db, run.id, 'internal_error', `Slipway could not start this run: ${(e as Error).message}`);
  }
  await settleRun(ctx, run.id); // a run that errored before its nodes has ended already
  return run;
}

async function queueNodes(ctx: AppContext, s: StartTestRun, run: TestRun, sourceId: string | undefined): Promise<void> {
  const db = ctx.store.db;
  // Every run reads its source's app.json, whether Slipway stored the source or a client named a URL.
  const text = await appJsonOfRun(ctx, sourceId, s.sourceBlobUrl);
  if (!text.ok) return errorRunBeforeNodes(db, run.id, text.errorId, text.message);
  const app = parseAppJson(text.text);
  if (!app.ok) return errorRunBeforeNodes(db, run.id, 'invalid_app_json', app.message);
  let config: TestConfig = resolveTestConfig(app.value);
  if (s.acceptance) {
    // One node running the pipeline's acceptance command, told where the released app answers.
    config = {
      ...config, test: s.acceptance.command, quantity: 1,
      env: { ...config.env, SLIPWAY_TARGET_APP: s.acceptance.appName, SLIPWAY_TARGET_URL: s.acceptance.url, SLIPWAY_TARGET_RELEASE: `v${s.acceptance.releaseVersion}` },
    };
  }
  if (config.quantity < 1 || config.quantity > MAX_TEST_NODES) {
    return errorRunBeforeNodes(db, run.id, 'invalid_app_json', `app.json is invalid: environments.test.formation.test.quantity must be between 1 and ${MAX_TEST_NODES} (got ${config.quantity}).`);
  }
  const size = lookupDynoSize(config.size ?? DEFAULT_TEST_SIZE);
  if (!size.ok) return errorRunBeforeNodes(db, run.id, 'invalid_app_json', `app.json is invalid: environments.test.formation.test.size: ${size.message}`);
  config = { ...config, size: size.size.name };
  const addons = parseAddons(config.addons);
  if (!addons.ok) return errorRunBeforeNodes(db, run.id, 'unknown_addon', addons.message);
  const timeoutSeconds = config.timeoutSeconds ?? run.timeout_seconds;
  if (timeoutSeconds !== run.timeout_seconds) await db.updateTable('test_runs').set({ timeout_seconds: timeoutSeconds }).where('id', '=', run.id).execute();
  const nodes = await createTestNodes(db, run.id, config.quantity);
  const runner = ctx.runner;
  const tenant = await ctx.tenants.forRun(run.id);
  // Stage config vars and add-on URLs are read when a node is claimed (runner/job-config), never queued.
  const jobs: StoredTestNodeJob[] = nodes.map((node) => ({
    runId: run.id, nodeId: node.id, pipelineId: s.pipeline.id, runNumber: run.number, nodeIndex: node.idx, nodeTotal: nodes.length,
    branch: s.commitBranch, sha: s.commitSha, sourceBlobUrl: s.sourceBlobUrl, config, timeoutSeconds, clearCache: s.clearCache, spaceId: s.pipeline.ci_space_id ?? null, tenant,
  }));
  // Said before the nodes are queued: a queued job wakes the runner at once, and a node it took
  // already would count as busy ahead of itself (node 0 of a 1-slot runner said it waits).
  // By the time node i would start, the nodes before it (and the add-ons job) hold slots too.
  const ahead = runner ? runner.busy + (addons.addons.length ? 1 : 0) : 0;
  for (const [i, node] of nodes.entries()) {
    if (runner && ahead + i >= runner.capacity) await setWaitingReason(db, node.id, `waiting for a free runner slot: ${runner.capacity} of ${runner.capacity} busy`);
  }
  if (addons.addons.length) {
    // Add-ons first (shared by every node); the provisioning job then queues the nodes.
    const job: RunAddonsJob = { runId: run.id, addons: addons.addons, nodes: jobs };
    await enqueue(ctx.queue, TEST_RUN_ADDONS_JOB, job, { key: `test-run-addons:${run.id}` });
  } else {
    for (const job of jobs) await enqueue(ctx.queue, TEST_NODE_JOB, job, { key: `test-node:${job.nodeId}` });
  }
  runner?.poke();
}
