// Composition root: config → store → sandbox → runner → API; recovery before serving.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { openStore } from './store/db.js';
import { countTokens, createToken } from './store/tokens.js';
import { getOrCreateSetting } from './store/settings.js';
import { LogBook } from './logs/log-book.js';
import { SourceBlobs, sourceIdFromUrl } from './git/source-blobs.js';
import { createSandbox } from './sandbox/sandbox.js';
import { Runner } from './runner/runner.js';
import { runTestNode, type NodeRunnerDeps } from './ci/run-test-node.js';
import { recordNodeEvent } from './ci/node-events.js';
import { recoverLostWork, recoverStrandedRuns } from './ci/recover.js';
import { TEST_NODE_JOB, TEST_RUN_ADDONS_JOB, type RunnerEvent, type TestNodeJob } from './ci/test-node-job.js';
import { AddonManager } from './addons/addon-manager.js';
import { provisionRunAddons, type RunAddonsJob } from './ci/provision-run-addons.js';
import { settleRun } from './ci/settle-run.js';
import { runsWithLiveAddons } from './store/test-run-addons.js';
import { buildApi } from './api/app.js';
import type { AppContext, Logger } from './app-context.js';

export interface RunningServer { url: string; ctx: AppContext; app: FastifyInstance; adminToken?: string; close(): Promise<void> }

const consoleLogger: Logger = {
  info: (m) => console.log(m),
  warn: (m) => console.warn(`warning: ${m}`),
  error: (m) => console.error(`error: ${m}`),
};

/** Where workspaces live: inside the data dir when the sandbox user can reach it, else under /tmp. */
function workspaceRoot(dataDir: string, uid: number): string {
  const canTraverse = (dir: string): boolean => {
    for (let d = dir; ; d = path.dirname(d)) {
      try {
        const st = fs.statSync(d);
        if (st.uid !== uid && !(st.mode & 0o001)) return false;
      } catch { /* created later */ }
      if (d === path.dirname(d)) return true;
    }
  };
  const inData = path.join(dataDir, 'workspaces');
  if (process.getuid?.() !== 0 || canTraverse(dataDir)) return inData;
  return path.join(os.tmpdir(), `slipway-workspaces-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`);
}

async function fetchSourceTo(blobs: SourceBlobs, url: string, dest: string): Promise<void> {
  const local = sourceIdFromUrl(url);
  if (local && blobs.exists(local)) { fs.copyFileSync(blobs.path(local), dest); return; }
  const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!res.ok || !res.body) throw new Error(`downloading the source from ${url.split('?')[0]} failed: HTTP ${res.status}`);
  fs.writeFileSync(dest, Buffer.from(await res.arrayBuffer()));
}

export async function startServer(config: Config, opts: { log?: Logger; listen?: boolean } = {}): Promise<RunningServer> {
  const log = opts.log ?? consoleLogger;
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(config.dataDir, 0o711); // traversable to a workspace, not listable
  const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });

  let adminToken: string | undefined;
  if (config.adminToken) await createToken(store.db, 'admin', config.adminToken);
  else if ((await countTokens(store.db)) === 0) adminToken = await createToken(store.db, 'admin');

  const secret = await getOrCreateSetting(store.db, 'url_signing_secret', () => randomBytes(32).toString('hex'));
  const sandboxProbe = createSandbox({ mode: config.sandbox, userName: config.sandboxUser, hidden: [], graceMs: config.killGraceMs });
  const workRoot = workspaceRoot(config.dataDir, sandboxProbe.user.uid);
  fs.mkdirSync(workRoot, { recursive: true, mode: 0o711 });
  fs.chmodSync(workRoot, 0o711);
  const hidden = [...new Set([config.dataDir, workRoot])];
  const sandbox = createSandbox({ mode: sandboxProbe.mode, userName: config.sandboxUser, hidden, graceMs: config.killGraceMs });
  if (sandboxProbe.warning) log.warn(sandboxProbe.warning);

  const ctx: AppContext = {
    config, store, queue: { db: store.db, dialect: store.dialect }, logs: new LogBook(path.join(config.dataDir, 'logs')),
    blobs: new SourceBlobs(path.join(config.dataDir, 'sources'), 500 * 1024 * 1024), sandbox, secret, workRoot,
    cacheRoot: path.join(config.dataDir, 'cache'), log,
    addons: new AddonManager({ sandbox, workRoot, templateRoot: path.join(config.dataDir, 'addon-templates'), pgBin: config.pgBin, postgresServerUrl: config.addonPostgresUrl }),
  };
  const settleEnded = async () => {
    for (const runId of await runsWithLiveAddons(store.db)) await settleRun(ctx, runId).catch((e) => log.error(`tearing down add-ons of ${runId}: ${(e as Error).message}`));
  };
  const deps: NodeRunnerDeps = { sandbox, workRoot, cacheRoot: ctx.cacheRoot, fetchSource: (url, dest) => fetchSourceTo(ctx.blobs, url, dest) };

  // The embedded runner; its name is stable across restarts so a new instance knows the old one's jobs are lost.
  const runnerName = `embedded-${createHash('sha256').update(os.hostname() + config.dataDir).digest('hex').slice(0, 10)}`;
  const owner = `${runnerName}/${randomBytes(6).toString('hex')}`;
  await recoverLostWork(ctx, owner, `${runnerName}/`);
  await recoverStrandedRuns(ctx);
  await settleEnded();
  const runner = new Runner({
    queue: ctx.queue, owner, concurrency: config.runnerConcurrency, leaseMs: config.leaseMs,
    onError: (e) => log.error(`runner: ${(e as Error).stack ?? e}`),
    handlers: {
      [TEST_NODE_JOB]: async (job, signal) => {
        const payload = JSON.parse(job.payload) as TestNodeJob;
        let chain = Promise.resolve();
        const emit = (e: RunnerEvent) => {
          chain = chain.then(() => recordNodeEvent(store.db, ctx.logs, payload, e)).catch((err) => log.error(`recording ${e.type}: ${(err as Error).message}`));
        };
        await runTestNode(payload, deps, emit, signal);
        await chain;
        await settleRun(ctx, payload.runId);
      },
      [TEST_RUN_ADDONS_JOB]: async (job) => provisionRunAddons(ctx, JSON.parse(job.payload) as RunAddonsJob),
    },
  });
  ctx.runner = runner;
  runner.start();
  const recovery = setInterval(() => {
    recoverLostWork(ctx, owner).then(settleEnded).catch((e) => log.error(`recovery: ${(e as Error).message}`));
  }, Math.max(500, Math.floor(config.leaseMs / 2)));

  const app = await buildApi(ctx);
  let url = '';
  if (opts.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host });
  }
  return {
    url, ctx, app, adminToken,
    async close() {
      clearInterval(recovery);
      await runner.stop();
      await app.close();
      await store.close();
    },
  };
}
