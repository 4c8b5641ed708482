// Composition root: config → store → sandbox → runner → API; recovery before serving.
import os from 'node:os';
import path from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { openSealedStore } from './secrets/sealed-store.js';
import { adminCredential } from './store/admin-credential.js';
import { LogBook } from './logs/log-book.js';
import { openBlobStore } from './blobs/blob-store.js';
import { blobLogArchive } from './blobs/log-archive.js';
import { fetchSourceTo } from './git/fetch-source.js';
import { Tenants } from './tenants.js';
import { Runner } from './runner/runner.js';
import { StoreLocks } from './jobs/store-locks.js';
import { Leader } from './scheduler/leader.js';
import { recoverLostWork, recoverStrandedRuns } from './ci/recover.js';
import { failStrandedReleaseWork } from './releases/recover-lost.js';
import { TEST_RUN_ADDONS_JOB } from './ci/test-node-job.js';
import { AddonManager } from './addons/addon-manager.js';
import { provisionRunAddons, type RunAddonsJob } from './ci/provision-run-addons.js';
import { settleRun } from './ci/settle-run.js';
import { runsWithLiveAddons } from './store/test-run-addons.js';
import { createEmbeddedDynos, localAgentNames } from './scheduler/embedded-dynos.js';
import { MetricsRecorder } from './metrics/recorder.js';
import { appsWithDesiredDynos } from './store/desired-dynos.js';
import { OneOffDynos } from './runtime/one-off.js';
import { createRouter } from './runtime/router.js';
import { RouterFeed } from './router/router-feed.js';
import { IN_SERVER_ROUTER_LINE, routerAsProcess, startRouterCompanion } from './router/router-companion.js';
import type { Companion } from './companions/companions.js';
import { delegateSpaces, startLocalAgentCompanion, stopLocalAgent } from './companions/local-agent-companion.js';
import { superviseCompanions } from './companions/companion-supervisor.js';
import { DomainRoutes, listenRouterTls } from './runtime/custom-domains.js';
import { freePort } from './addons/local-server.js';
import { goLive } from './releases/deploy.js';
import { slugFile } from './releases/slugs.js';
import { appendAppLog, appLogKey, isAppLogKey, trimAppLog } from './releases/app-log.js';
import { APP_LOG_LINES, SharedLog } from './logs/shared-log.js';
import { LogDrains } from './logs/drains/log-drains.js';
import { onDynoCrash } from './releases/auto-rollback.js';
import { restartAddon } from './releases/attach-addon.js';
import { listApps } from './store/apps.js';
import { listAppAddons, setAddonServerStatus } from './store/app-addons.js';
import { addonsInLocalAgent, appAddonHost } from './releases/addon-host.js';
import { registerPipelineAutomation } from './pipelines/automation.js';
import { GithubDeliveries, GITHUB_DELIVERY_JOB, type GithubDeliveryJob } from './integrations/github-work.js';
import { registerReviewApps } from './pipelines/review-apps.js';
import { sweepStaleReviewApps } from './pipelines/stale-review-apps.js';
import { FLOW_EDGE_JOB, type FlowEdgeJob } from './store/flow-edges.js';
import { runFlowEdge } from './pipelines/flow-edges.js';
import { registerCommitStatuses, sendCommitStatus, COMMIT_STATUS_JOB, type CommitStatusJob } from './integrations/commit-statuses.js';
import { APP_WEBHOOK_JOB, type AppWebhookJob } from './webhooks/publish.js';
import { sendAppWebhook } from './webhooks/deliver.js';
import { registerAppWebhookEvents, publishDynoState } from './webhooks/app-events.js';
import { buildApi } from './api/app.js';
import { startDefaultNetwork } from './spaces/default-network-start.js';
import { listSpaces, trustedIps, egressRules } from './store/spaces.js';
import { listenTls, type TlsListener } from './api/heroku/tls-listener.js';
import { serveRendezvous } from './api/heroku/rendezvous.js';
import type { AppContext, Logger } from './app-context.js';
import { ensureLocalAgent } from './store/agents.js';
import { checkHostAndDataDir, setUpHost, StartupError } from './host-setup.js';
import { embeddedJobHandlers } from './runner/embedded-jobs.js';
import type { ExecDeps } from './runner/execute-job.js';

export interface RunningServer { url: string; routerUrl: string; ctx: AppContext; app: FastifyInstance; adminToken?: string; close(): Promise<void> }

const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(`warning: ${m}`),
  error: (m) => console.error(`error: ${m}`),
};

export { StartupError };

export async function startServer(config: Config, opts: { log?: Logger; listen?: boolean } = {}): Promise<RunningServer> {
  const log = opts.log ?? consoleLogger;
  checkHostAndDataDir(config, log);
  const { store, keys: secretKeys } = await openSealedStore(config, log);

  const adminToken = await adminCredential(store.db, config.adminToken);

  // Signed URLs and dashboard sessions each have a key of their own, derived from the secret key.
  const secret = secretKeys.ring.derive('signed urls');
  const sessionSecret = secretKeys.ring.derive('dashboard sessions');
  const host = await setUpHost(config, log);
  const { sandbox, workRoot, spaces } = host;
  const tenants = new Tenants(store.db, config.tenantUids, sandbox.user.uid);
  if (tenants.off) log.warn(`tenant uids are off (${tenants.off}).`);
  else log.info(`tenant uids: each app, test run and add-on set runs as its own uid from ${config.tenantUids!.first}-${config.tenantUids!.last}.`);

  const routerInFlight = new Map<string, number>();
  // The router process's feed (the router runs as a process of its own), made once apps are known.
  let routerFeed: RouterFeed | undefined;
  const blobs = openBlobStore({ kind: config.blobStore, dataDir: config.dataDir, store });
  // The app's metrics are read off its log lines (router, Heroku's dyno lines) and its dynos' reports.
  const metrics = new MetricsRecorder({ db: store.db, flushMs: 5000, log: (l) => log.error(l) });
  const appLog = (appId: string, source: string, line: string) => { metrics.line(appId, source, line); appendAppLog(ctxLogs, appId, source, line); };
  const ctxLogs = new LogBook(path.join(config.dataDir, 'logs'), blobLogArchive(blobs, config.inputLimits.slugBytes), (e) => log.error(`archiving output: ${e.message}`));
  // With a local agent process, the private spaces are that process's (they outlive this server).
  if (addonsInLocalAgent(config)) delegateSpaces(config, spaces);
  await spaces.setApps(await listApps(store.db));
  // The embedded runner; its name is stable across restarts so a new instance knows the old one's jobs (and leases) are lost.
  const runnerName = `embedded-${createHash('sha256').update(os.hostname() + config.dataDir).digest('hex').slice(0, 10)}`;
  const instance = randomBytes(6).toString('hex');
  const owner = `${runnerName}/${instance}`;
  // Replicas on one Postgres share outputs and apps' logs through it: each follows what the others write, live.
  const sharedLog = store.dialect === 'postgres' ? new SharedLog({
    db: store.db, databaseUrl: config.databaseUrl!, origin: owner, logs: ctxLogs, log,
    linesKept: (key) => (isAppLogKey(key) ? APP_LOG_LINES : undefined), applied: (key) => { if (isAppLogKey(key)) trimAppLog(ctxLogs, key); },
  }) : undefined;
  if (sharedLog) { ctxLogs.shareWith(sharedLog); await sharedLog.start(); }
  // Dynos: desired rows in the store, reconciled by the server's own agent; the router reads what agents report.
  // Replicas on one Postgres each have agents of their own (one server alone: `local`).
  const localNames = localAgentNames(config.databaseUrl ? runnerName : undefined);
  const plane = await createEmbeddedDynos({
    db: store.db, log, tenantOf: (appId) => tenants.forApp(appId), slugFile: (id) => slugFile(ctx.blobs, id),
    // A router process must serve the new table before a leaving dyno drains (bounded: a router that is away does not hold deploys).
    onRoutesChanged: async () => { await routerFeed?.publishAndWait(); },
    // With a local agent process, the server runs no dynos itself: that process runs them all, private spaces' too.
    local: config.embeddedRunner && config.localAgent === 'in-process', lostAfterMs: config.agentLostMs, agentName: localNames.local,
    onObserved: (observed) => metrics.observed(observed),
    onCrash: (c) => { metrics.restart(c.appId); onDynoCrash(ctx, c).catch((e) => log.error(`automatic rollback: ${(e as Error).message}`)); },
    onStateChanged: (d) => { publishDynoState(ctx, d).catch((e) => log.error(`dyno webhook event: ${(e as Error).message}`)); },
    manager: {
      sandbox, workRoot, bootTimeoutMs: config.bootTimeoutSeconds * 1000, stopGraceMs: config.dynoStopGraceMs,
      log: appLog,
      inFlight: ({ id }) => (routerInFlight.get(id) ?? 0) + (routerFeed?.inFlight(id) ?? 0), drainMs: config.routerTimeoutMs,
      network: spaces, slugTrees: host.slugTrees, fetchSlug: (id) => slugFile(ctx.blobs, id),
    },
  });
  const addons = new AddonManager({
    sandbox, workRoot, templateRoot: path.join(config.dataDir, 'addon-templates'), pgBin: config.pgBin, postgresServerUrl: config.addonPostgresUrl, network: spaces,
    // Apps' add-on servers this process runs (no local agent process): their restarts said in the app's log and kept on their rows.
    events: {
      log: appLog,
      status: (id, st) => { setAddonServerStatus(store.db, id, null, st).catch((e: Error) => log.error(`add-on ${id}'s status: ${e.message}`)); },
    },
  });
  const ctx: AppContext = {
    config, store, queue: { db: store.db, dialect: store.dialect }, logs: ctxLogs,
    blobs, sandbox, tenants, secret, sessionSecret, secretKeys, workRoot,
    cacheRoot: path.join(config.dataDir, 'cache'), log, hooks: { releaseSettled: [], buildEnded: [], testRunEnded: [], testRunStarted: [] },
    locks: new StoreLocks({ db: store.db, replica: runnerName, instance, ttlMs: config.leaseMs }), leader: new Leader({ dialect: store.dialect, databaseUrl: config.databaseUrl, log }),
    selfUrl: `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${config.port}`,
    oneOffs: new OneOffDynos({ sandbox, workRoot, logs: ctxLogs, timeoutMs: 24 * 3600_000, network: spaces, appLog: (appId, source, message) => appendAppLog(ctxLogs, appId, source, message) }), spaces,
    desiredChanged: (appId) => plane.changed(appId), desiredState: plane.port,
    addons, appAddons: appAddonHost({ config, db: store.db, inServer: addons, agentName: localNames.local }),
    drains: new LogDrains({ db: store.db, logs: ctxLogs, logKey: appLogKey, leading: () => ctx.leader.isLeader() }), metrics,
  };
  // Apps' add-on servers run in the local agent process when there is one: started again once it runs.
  const addonsInAgent = addonsInLocalAgent(config);
  const restartAddons = async () => {
    for (const addon of await listAppAddons(store.db)) await restartAddon(ctx, addon).catch((e) => log.error(`starting add-on ${addon.name} (${addon.plan}): ${(e as Error).message}`));
  };
  // The local agent process (started, adopted or restarted) is sent the whole plan of the private spaces.
  const tellSpaces = () => spaces.ownerReady().catch((e: Error) => log.error(`private spaces in the local agent process: ${e.message}`));
  const settleEnded = async () => {
    for (const runId of await runsWithLiveAddons(store.db)) await settleRun(ctx, runId).catch((e) => log.error(`tearing down add-ons of ${runId}: ${(e as Error).message}`));
  };
  const deps: ExecDeps = {
    sandbox, workRoot, cacheRoot: ctx.cacheRoot, buildCacheRoot: path.join(config.dataDir, 'build-cache'), network: spaces, slugTrees: host.slugTrees, buildTrees: host.slugTrees, buildpackDirs: config.buildpackDirs,
    limits: config.inputLimits, buildTimeoutMs: config.buildTimeoutSeconds * 1000,
    fetchSource: (url, dest) => fetchSourceTo(ctx.blobs, url, dest, config.inputLimits),
    slugFile: async (slugId) => ({ path: await slugFile(ctx.blobs, slugId), done: async () => {} }),
  };
  // Space networks and the default network (leftovers of a crash removed first) before any sandbox starts.
  await spaces.restore((await listSpaces(store.db)).map((s) => ({ id: s.id, name: s.name, cidr: s.cidr, trustedIps: trustedIps(s), egressRules: egressRules(s) })));
  await startDefaultNetwork(config, spaces, log);

  // This replica's own earlier instance's jobs (and any lease run out): each job is taken over by one replica.
  await recoverLostWork(ctx, owner, `${runnerName}/`);
  await settleEnded();
  const deliveries = new GithubDeliveries(ctx);
  const runner = new Runner({
    queue: ctx.queue, owner, concurrency: config.runnerConcurrency, leaseMs: config.leaseMs,
    onError: (e) => log.error(`runner: ${(e as Error).stack ?? e}`),
    handlers: {
      ...(config.embeddedRunner ? embeddedJobHandlers(ctx, deps) : {}),
      [TEST_RUN_ADDONS_JOB]: async (job) => provisionRunAddons(ctx, JSON.parse(job.payload) as RunAddonsJob),
    },
  });
  ctx.runner = runner;
  const control = new Runner({
    queue: ctx.queue, owner: `${runnerName}/control-${randomBytes(6).toString('hex')}`, concurrency: 4, leaseMs: config.leaseMs,
    onError: (e) => log.error(`control jobs: ${(e as Error).stack ?? e}`),
    handlers: {
      [GITHUB_DELIVERY_JOB]: async (job) => deliveries.handle(JSON.parse(job.payload) as GithubDeliveryJob, job.attempts),
      [COMMIT_STATUS_JOB]: async (job) => {
        const payload = JSON.parse(job.payload) as CommitStatusJob;
        // One report of a run at a time, across replicas (a lease in the store): a pending report
        // checks the run under it, so it never lands after the run's outcome (sendCommitStatus).
        await ctx.locks.run(`commit-status:${payload.runId}`, () => sendCommitStatus(ctx, payload, job.attempts));
      },
      [APP_WEBHOOK_JOB]: async (job) => sendAppWebhook(ctx, JSON.parse(job.payload) as AppWebhookJob, job.attempts),
      [FLOW_EDGE_JOB]: async (job) => runFlowEdge(ctx, JSON.parse(job.payload) as FlowEdgeJob),
    },
  });
  ctx.control = control;
  registerPipelineAutomation(ctx);
  registerReviewApps(ctx);
  // Scheduled work runs on the leader only (one replica of several on Postgres; the one server on SQLite).
  ctx.leader.every('metrics retention', 3600_000, () => metrics.purge().then(() => {}));
  metrics.start();
  ctx.leader.every('stale review apps', config.reviewSweepMs, () => sweepStaleReviewApps(ctx));
  registerCommitStatuses(ctx);
  registerAppWebhookEvents(ctx);
  runner.start();
  control.start();
  // The embedded runner shows in `slipway agents` as the agent `local`, seen while the server runs (on every replica).
  // (A local agent process heartbeats itself: the server must not keep a dead one looking alive.)
  const seenLocal = () => (config.embeddedRunner && config.localAgent === 'in-process' ? ensureLocalAgent(store.db, { name: localNames.local, hostname: os.hostname(), slots: config.runnerConcurrency }) : Promise.resolve());
  await seenLocal();
  const localBeat = setInterval(() => { seenLocal().catch((e) => log.error(`heartbeat of the local agent: ${(e as Error).message}`)); }, Math.max(500, Math.floor(config.leaseMs / 2)));
  ctx.leader.every('recovery', Math.max(500, Math.floor(config.leaseMs / 2)), () => recoverLostWork(ctx, owner).then(settleEnded));
  // Runs, builds and releases stranded with no job (a server stopped between the two writes): the leader
  // ends them, as it leads and every minute after, so replicas starting together do not each end them.
  ctx.leader.every('stranded work', 60_000, async () => { await recoverStrandedRuns(ctx); await failStrandedReleaseWork(ctx); }, { atOnce: true });
  if (sharedLog) {
    ctx.leader.every('shared log retention', 600_000, () => sharedLog.sweep());
    // Drains run on the leader (every replica's file holds every line: one sender, so each line goes once);
    // a drain added through another replica starts here within the period.
    let term: AbortSignal | undefined;
    ctx.leader.every('log drains', 2000, async (signal) => {
      if (term !== signal) { term = signal; signal.addEventListener('abort', () => ctx.drains.stopAll(), { once: true }); }
      await ctx.drains.sync();
    });
  }
  await ctx.leader.start();

  const app = await buildApi(ctx);
  const domains = new DomainRoutes();
  const router = createRouter({
    domain: config.domain, timeoutMs: config.routerTimeoutMs, inFlight: routerInFlight,
    lookup: (name) => {
      const a = appsByName.get(name);
      if (!a) return undefined;
      return { appId: a.id, dynos: plane.routes.targets(a.id), trusted: a.space_id ? spaces.trustedFor(a.space_id) ?? [] : undefined, internal: a.internal_routing === 1, maintenance: a.maintenance === 1 };
    },
    log: (appId, line) => appLog(appId, 'heroku[router]', line),
    customHost: (host) => domains.appNameFor(host),
  });
  // The router must not wait on the database per request: app names are cached and refreshed.
  const appsByName = new Map<string, Awaited<ReturnType<typeof listApps>>[number]>();
  // The apps in private spaces go to the local agent process. While it is away (its supervisor starts
  // it again and sends the whole plan), the app list, domains and routes refresh all the same.
  let spacesAway = '';
  const tellSpaceApps = (all: Awaited<ReturnType<typeof listApps>>) => spaces.setApps(all).then(() => { spacesAway = ''; }, (e: Error) => {
    if (e.message !== spacesAway) log.error(`private spaces in the local agent process: ${e.message}`);
    spacesAway = e.message;
  });
  const refreshApps = async () => { const all = await listApps(store.db); appsByName.clear(); for (const a of all) appsByName.set(a.name, a); await tellSpaceApps(all); await domains.refresh(store.db); };
  await refreshApps();
  const routerApps = () => [...appsByName.values()].map((a) => ({
    id: a.id, name: a.name, dynos: plane.routes.targets(a.id), trusted: a.space_id ? spaces.trustedFor(a.space_id) ?? [] : null, internal: a.internal_routing === 1,
    hostnames: domains.hostnamesOf(a.id), certificates: domains.certificatesOf(a.id), maintenance: a.maintenance === 1,
  }));
  if (routerAsProcess(config) && opts.listen !== false) {
    // The first table a router is sent holds the dynos agents reported (an adopted router must not be sent an empty one).
    await plane.routes.refresh();
    routerFeed = ctx.routerFeed = new RouterFeed(routerApps);
    routerFeed.publish();
  }
  // The router also follows what no deploy announces (a crashed dyno, a new app, a space's ranges).
  const appsRefresh = setInterval(() => { refreshApps().then(() => plane.routes.refresh()).then(() => { ctx.routerFeed?.publish(); }).catch(() => {}); }, 1000);
  ctx.onAppsChanged = () => refreshApps().then(async () => { await routerFeed?.publishAndWait(); });
  // A space's trusted ranges changed: the router serves them before the API answers.
  spaces.onUpdated = async () => { await routerFeed?.publishAndWait(); };
  // App add-ons, then dynos come back after a restart (on the networks made before the runner started).
  if (!addonsInAgent) await restartAddons();
  await ctx.drains.sync();
  // Dynos come back after a restart from their desired rows (apps from before those rows are scheduled first).
  const scheduled = await appsWithDesiredDynos(store.db);
  for (const a of await listApps(store.db)) if (!scheduled.has(a.id)) await goLive(ctx, a).catch((e) => log.error(`starting dynos of ${a.name}: ${(e as Error).message}`));
  await plane.start();
  let url = '';
  let routerUrl = '';
  let tls: TlsListener | undefined;
  let routerTls: Awaited<ReturnType<typeof listenRouterTls>> | undefined;
  let routerProcess: Companion | undefined;
  let agentProcess: Companion | undefined;
  let supervision: ReturnType<typeof superviseCompanions> | undefined;
  // A failed start stops the companions it started, and leaves those it adopted serving (their apps
  // stay up while the operator fixes what failed); a clean stop stops both unless told to leave them.
  let failedStart = false;
  const keepCompanion = (p: Companion) => config.leaveCompanions || (failedStart && p.adopted);
  const close = async () => {
    await supervision?.stop();
    // The local agent first: its dynos stop and say so while this server still listens.
    if (agentProcess && !keepCompanion(agentProcess)) await stopLocalAgent(agentProcess, config, log);
    await ctx.leader.stop();
    clearInterval(localBeat);
    clearInterval(appsRefresh);
    await control.stop();
    await runner.stop();
    await plane.close();
    await metrics.close();
    ctx.drains.stopAll();
    // Add-on servers live in namespaces of the default network: stopped before it goes.
    await ctx.addons.stopAppServers();
    await host.close();
    if (routerProcess && !keepCompanion(routerProcess)) await routerProcess.stop(config.routerTimeoutMs);
    routerFeed?.close();
    router.closeAllConnections();
    await new Promise<void>((r) => router.close(() => r()));
    await new Promise<void>((r) => (routerTls ? routerTls.close(() => r()) : r()));
    await tls?.close();
    await app.close();
    // Last before the store closes: every line written while stopping (the agent's, the dynos', the router's) is sent to the other replicas.
    await sharedLog?.stop();
    await store.close();
  };
  try {
    if (opts.listen !== false) {
      url = await app.listen({ port: config.port, host: config.host });
      const port = (app.server.address() as { port: number }).port;
      ctx.selfUrl = `http://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
      if (routerFeed) {
        const routerPort = config.routerPort || await freePort();
        const routerTlsPort = config.routerTlsPort === undefined ? undefined : config.routerTlsPort || await freePort();
        routerProcess = await startRouterCompanion({ config, db: store.db, log, serverUrl: ctx.selfUrl, port: routerPort, tlsPort: routerTlsPort, replica: runnerName });
        routerFeed.expected = 1;
        routerUrl = `http://${config.routerHost}:${routerPort}`;
        if (routerTlsPort !== undefined) log.info(`Router over TLS (custom domains' certificates by SNI) on ${config.routerHost}:${routerTlsPort}, in the router process`);
      } else {
        log.info(`router: ${IN_SERVER_ROUTER_LINE}`);
        await new Promise<void>((r) => router.listen(config.routerPort, config.routerHost, () => r()));
        routerUrl = `http://${config.routerHost}:${(router.address() as { port: number }).port}`;
      }
      const routerPort = Number(new URL(routerUrl).port);
      // SLIPWAY_EMBEDDED_RUNNER=off: this server runs nothing on its host, remote agents run every dyno.
      const routerDoor = { host: ['0.0.0.0', '::'].includes(config.routerHost) ? '127.0.0.1' : config.routerHost, port: routerPort };
      if (addonsInAgent) {
        agentProcess = await startLocalAgentCompanion({ config, db: store.db, log, serverUrl: ctx.selfUrl, name: localNames.local, router: routerDoor });
        await tellSpaces();
        await restartAddons();
      }
      if (!routerFeed && config.routerTlsPort !== undefined) {
        routerTls = await listenRouterTls(router, domains, config.routerTlsPort, config.routerHost);
        log.info(`Router over TLS (custom domains' certificates by SNI) on ${config.routerHost}:${(routerTls.address() as { port: number }).port}`);
      }
      await spaces.offerRouter(config.domain, routerDoor)
        .catch((e) => log.error(`offering the router to the default network: ${(e as Error).message}`));
      // A companion that dies on its own is started again (the local agent's add-on servers with it).
      supervision = superviseCompanions([{ companion: routerProcess }, { companion: agentProcess, onRestarted: async () => { await tellSpaces(); await restartAddons(); } }], log);
      if (config.tls) {
        tls = await listenTls(app, config.tls, config.host, (socket) => serveRendezvous(ctx, socket));
        log.info(`Slipway API over HTTPS on https://${config.host}:${tls.port}`);
      }
    }
  } catch (e) {
    failedStart = true;
    await close().catch((err: Error) => log.error(`stopping after a failed start: ${err.message}`));
    throw portInUse(e, config) ?? e;
  }
  return { url, routerUrl, ctx, app, adminToken, close };
}

/** A listen that found its port taken, said with the setting that chose the port; else undefined. */
function portInUse(e: unknown, config: Config): StartupError | undefined {
  const err = e as NodeJS.ErrnoException & { port?: number; address?: string };
  if (err.code !== 'EADDRINUSE') return undefined;
  const settings: Array<[number | undefined, string]> = [[config.port, 'PORT'], [config.routerPort, 'SLIPWAY_ROUTER_PORT'], [config.tls?.port, 'SLIPWAY_TLS_PORT'], [config.routerTlsPort, 'SLIPWAY_ROUTER_TLS_PORT']];
  const setting = settings.find(([p]) => p === err.port)?.[1];
  return new StartupError(`${err.address ?? ''}:${err.port ?? '?'} is in use${setting ? ` (${setting})` : ''}: stop what listens there or choose another port.`);
}
