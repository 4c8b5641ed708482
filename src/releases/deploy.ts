// Control plane of apps: builds become slugs and releases; a release runs its release phase (if
// the slug has one) and only then goes live on the dynos. Config changes and rollbacks are releases too.
import { enqueue } from '../jobs/queue.js';
import { appBuildpacks, getApp, getConfigVars, type App } from '../store/apps.js';
import { createRelease, currentRelease, getRelease, settleRelease, type Release } from '../store/releases.js';
import { createBuild, createSlug, finishBuild, getSlug, type Build } from '../store/builds.js';
import { getFormation, scaleFormation } from '../store/formation.js';
import { newId } from '../core/ids.js';
import type { AppContext } from '../app-context.js';
import { crashPoint } from '../core/crash-point.js';
import { BUILD_JOB, RELEASE_JOB, type BuildEvent, type BuildJob, type ReleaseEvent, type ReleaseJob } from './jobs.js';
import type { StoredBuildJob, StoredReleaseJob } from '../runner/job-config.js';
import { appendAppLog } from './app-log.js';
import { releaseWentLive } from './auto-rollback.js';
import { releaseAgent, scheduleApp } from '../scheduler/schedule-app.js';
import { storeSlug } from './slugs.js';

export const buildLogKey = (buildId: string): string => `builds/${buildId}`;
export const releaseLogKey = (releaseId: string): string => `releases/${releaseId}`;

export async function startBuild(ctx: AppContext, app: App, sourceBlobUrl: string, version: string | null, user: string | null = null): Promise<Build> {
  const build = await createBuild(ctx.store.db, app.id, sourceBlobUrl, version, user);
  const job: StoredBuildJob = { buildId: build.id, appId: app.id, appName: app.name, sourceBlobUrl, sourceVersion: version, tenant: await ctx.tenants.forApp(app.id), buildpacks: appBuildpacks(app) };
  await enqueue(ctx.queue, BUILD_JOB, job, { key: `build:${build.id}` });
  appendAppLog(ctx.logs, app.id, 'app[api]', `Build started${version ? ` for ${version.slice(0, 7)}` : ''}`);
  ctx.runner?.poke();
  return build;
}

/** Build events → output, slug, release. */
export async function recordBuildEvent(ctx: AppContext, job: BuildJob, e: BuildEvent): Promise<void> {
  if (e.type === 'output') return ctx.logs.append(buildLogKey(job.buildId), e.data);
  if (e.type === 'steps') return; // the runner's recorder logs them
  ctx.logs.close(buildLogKey(job.buildId));
  await ctx.logs.archived(buildLogKey(job.buildId));
  const db = ctx.store.db;
  if (!e.ok) {
    // Said once: a build a recoverer ended meanwhile (store/builds' conditional move) is not said to fail again.
    const ended = await finishBuild(db, job.buildId, { status: 'failed', message: e.message });
    crashPoint(ctx.config, 'build-ended', job.appName);
    if (ended) appendAppLog(ctx.logs, job.appId, 'app[api]', `Build failed: ${e.message}`);
    ctx.control?.poke();
    return;
  }
  const slugId = e.slugId ?? newId();
  await storeSlug(ctx.blobs, ctx.config.inputLimits, slugId, e.slugFile);
  const build = await db.selectFrom('builds').selectAll().where('id', '=', job.buildId).executeTakeFirstOrThrow();
  await createSlug(db, { id: slugId, app_id: job.appId, process_types: JSON.stringify(e.processTypes), commit: build.source_version, commit_description: null, buildpacks: JSON.stringify(e.buildpacks), size: e.size, checksum: '', stack: 'heroku-24' });
  const release = await createRelease(db, { appId: job.appId, slugId, config: await getConfigVars(db, job.appId), description: `Deploy ${build.source_version?.slice(0, 7) ?? job.buildId.slice(0, 8)}`, user: build.user_name });
  // The release starts as the build's follow-up (pipelines/flow-edges), after the flow has seen the build end.
  await finishBuild(db, job.buildId, { status: 'succeeded', slugId, releaseId: release.id, buildpacks: e.buildpacks });
  crashPoint(ctx.config, 'build-ended', job.appName);
  ctx.control?.poke();
}

/** Run the release phase if the slug declares one, else go live at once. */
export async function startRelease(ctx: AppContext, app: App, release: Release): Promise<void> {
  const types = release.slug_id ? JSON.parse((await getSlug(ctx.store.db, release.slug_id)).process_types) as Record<string, string> : {};
  if (!types['release']) {
    await settleRelease(ctx.store.db, release.id, { type: 'no-release-phase' });
    crashPoint(ctx.config, 'release-settled', app.name);
    appendAppLog(ctx.logs, app.id, 'app[api]', `Release v${release.version} created: ${release.description}`);
    await goLive(ctx, app);
    ctx.control?.poke();
    return;
  }
  const job: StoredReleaseJob = {
    releaseId: release.id, appId: app.id, appName: app.name, version: release.version, slugId: release.slug_id!,
    command: types['release'], timeoutSeconds: ctx.config.releaseTimeoutSeconds, tenant: await ctx.tenants.forApp(app.id),
    size: (await getFormation(ctx.store.db, app.id)).find((f) => f.type === 'release')?.size,
  };
  // An app with add-on servers on the local agent process: its release phase runs there, where it reaches them.
  await enqueue(ctx.queue, RELEASE_JOB, job, { key: `release:${release.id}`, agentId: await releaseAgent(ctx.store.db, app.id) });
  appendAppLog(ctx.logs, app.id, 'app[api]', `Release v${release.version} is running its release phase: ${types['release']}`);
  ctx.runner?.poke();
}

export async function recordReleaseEvent(ctx: AppContext, job: ReleaseJob, e: ReleaseEvent): Promise<void> {
  if (e.type === 'output') return ctx.logs.append(releaseLogKey(job.releaseId), e.data);
  ctx.logs.close(releaseLogKey(job.releaseId));
  await ctx.logs.archived(releaseLogKey(job.releaseId));
  const { settled } = await settleRelease(ctx.store.db, job.releaseId, { type: e.ok ? 'release-phase-passed' : 'release-phase-failed' }, e.message);
  crashPoint(ctx.config, 'release-settled', job.appName);
  if (!settled) return; // a recoverer ended it meanwhile (and said so)
  appendAppLog(ctx.logs, job.appId, 'app[api]', e.ok ? `Release v${job.version} succeeded` : `Release v${job.version} failed: ${e.message}`);
  if (e.ok) await goLive(ctx, await getApp(ctx.store.db, job.appId));
  ctx.control?.poke();
}

/** Put the current release on dynos (first deploy: web=1 when the slug has a web process): desired rows, then agents. */
export async function goLive(ctx: AppContext, app: App): Promise<void> {
  const release = await currentRelease(ctx.store.db, app.id);
  if (!release?.slug_id) return;
  const types = JSON.parse((await getSlug(ctx.store.db, release.slug_id)).process_types) as Record<string, string>;
  if (!(await getFormation(ctx.store.db, app.id)).length && types['web']) await scaleFormation(ctx.store.db, app.id, [{ type: 'web', quantity: 1 }]);
  await scheduleDynos(ctx, app.id);
}

/** Write an app's desired dynos (a restart replaces the ones it names) and let the agents follow; one app's at a time, across replicas. */
export async function scheduleDynos(ctx: AppContext, appId: string, restart?: string, opts: { wait?: boolean } = {}): Promise<void> {
  await ctx.locks.run(`deploy:${appId}`, async () => {
    const r = await scheduleApp(ctx.store.db, appId, { restart, lostAfterMs: ctx.config.agentLostMs });
    if (r.unplaced.length) appendAppLog(ctx.logs, appId, 'app[api]', `No agent has room for ${r.unplaced.join(', ')}; they start once one has`);
    if (r.newRelease) await releaseWentLive(ctx, appId, r.newRelease);
    if (!r.changed) return;
    // `wait: false` (a 202 Accepted): the desired rows are stored, the agents act on them after the answer.
    if (opts.wait === false) void ctx.desiredChanged().catch((e: Error) => ctx.log.error(`reconciling ${appId}: ${e.message}`));
    else await ctx.desiredChanged(appId);
  });
}

/** A config change is a new release on the current slug. */
export async function releaseConfigChange(ctx: AppContext, app: App, description: string, user: string | null = null): Promise<Release> {
  const current = await currentRelease(ctx.store.db, app.id);
  return releaseSlug(ctx, app, current?.slug_id ?? null, description, user);
}

/** A new release of `slugId` with the app's config as it is now, through its release phase (also releases:retry). */
export async function releaseSlug(ctx: AppContext, app: App, slugId: string | null, description: string, user: string | null = null): Promise<Release> {
  const release = await createRelease(ctx.store.db, { appId: app.id, slugId, config: await getConfigVars(ctx.store.db, app.id), description, user });
  await startRelease(ctx, app, release);
  return release;
}

/** Rollback: a new release with vN's slug and config (config vars are set back too). */
export async function rollback(ctx: AppContext, app: App, target: string | number, description?: string, user: string | null = null): Promise<Release> {
  const db = ctx.store.db;
  const to = await getRelease(db, app.id, target);
  const config = JSON.parse(to.config) as Record<string, string>;
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('app_config_vars').where('app_id', '=', app.id).execute();
    const rows = Object.entries(config).map(([key, value]) => ({ app_id: app.id, key, value }));
    if (rows.length) await trx.insertInto('app_config_vars').values(rows).execute();
  });
  const release = await createRelease(db, { appId: app.id, slugId: to.slug_id, config, description: description ?? `Rollback to v${to.version}`, user });
  await startRelease(ctx, app, release);
  return release;
}
