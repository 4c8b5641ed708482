// Everything the control plane's modules share, built once in server.ts and passed in.
import type { Config } from './config.js';
import type { SecretKeys } from './secrets/secret-keys.js';
import type { RouterFeed } from './router/router-feed.js';
import type { Store } from './store/db.js';
import type { Queue } from './jobs/queue.js';
import type { LogBook } from './logs/log-book.js';
import type { BlobStore } from './blobs/blob-store.js';
import type { Sandbox } from './sandbox/sandbox.js';
import type { Runner } from './runner/runner.js';
import type { AddonManager } from './addons/addon-manager.js';
import type { AppAddons } from './releases/addon-host.js';
import type { OneOffDynos } from './runtime/one-off.js';
import type { SpaceNetworks } from './spaces/space-network.js';
import type { Tenants } from './tenants.js';
import type { StoreLocks } from './jobs/store-locks.js';
import type { Leader } from './scheduler/leader.js';
import type { DesiredStatePort } from './runtime/desired-state.js';

import type { App } from './store/apps.js';
import type { Release } from './store/releases.js';
import type { Build } from './store/builds.js';
import type { TestRun } from './store/test-runs.js';
import type { LogDrains } from './logs/drains/log-drains.js';
import type { MetricsRecorder } from './metrics/recorder.js';

/**
 * What the flow (pipelines, integrations) hangs on to: called after a release settled (and, when it
 * succeeded, went live), a build ended, a test run reached a final status — by the durable queue,
 * from the job written with the status change (pipelines/flow-edges), so at least once: handlers
 * must be idempotent, and one that throws makes the job try again.
 */
export interface FlowHooks {
  releaseSettled: Array<(app: App, release: Release) => Promise<void>>;
  buildEnded: Array<(build: Build) => Promise<void>>;
  testRunEnded: Array<(run: TestRun) => Promise<void>>;
  /** A test run was created (run by its flow edge, written with the run). */
  testRunStarted: Array<(run: TestRun) => Promise<void>>;
}

export interface Logger { info(msg: string): void; warn(msg: string): void; error(msg: string): void }

export interface AppContext {
  config: Config;
  store: Store;
  queue: Queue;
  logs: LogBook;
  /** Sources, slugs and archived outputs, where every replica reaches them. */
  blobs: BlobStore;
  sandbox: Sandbox;
  /** Key for signed stream and blob URLs (derived from the secret key). */
  secret: string;
  /** Key for dashboard sessions and their CSRF tokens (derived separately). */
  sessionSecret: string;
  /** The keys secrets are sealed with in the store (rotation swaps them). */
  secretKeys: SecretKeys;
  workRoot: string;
  cacheRoot: string;
  runner?: Runner;
  /** Control-plane jobs (webhook deliveries, commit statuses): a lane of their own, never behind test nodes. */
  control?: Runner;
  /** Test runs' add-on servers (in this process). */
  addons: AddonManager;
  /** Apps' add-on servers (in the local agent process when there is one: releases/addon-host.ts). */
  appAddons: AppAddons;
  /** Desired dynos changed: agents are told (the embedded agent has reconciled, and with `appId` every agent has acted on that app, when this resolves). */
  desiredChanged(appId?: string): Promise<void>;
  /** Agents' desired dynos and their reports, over the store (remote agents reach it through /agent/v1/dynos). */
  desiredState: DesiredStatePort;
  oneOffs: OneOffDynos;
  /** The apps' metrics: log lines that arrive from elsewhere (agents' dyno lines) are measured through it. */
  metrics: Pick<MetricsRecorder, 'line' | 'routerLine'>;
  /** Apps' log drains at work (`sync()` after a drain is added or removed). */
  drains: LogDrains;
  /** The uid each app, test run and add-on set runs as. */
  tenants: Tenants;
  /** Networks of private spaces on this host. */
  spaces: SpaceNetworks;
  /** The routing table as router processes are sent it, and what they have in flight. */
  routerFeed?: RouterFeed;
  /** Tell the router that apps were created or destroyed. */
  onAppsChanged?: () => Promise<void>;
  log: Logger;
  hooks: FlowHooks;
  /** Mutual exclusion across replicas (release phases, deploys per app), by leases in the store. */
  locks: StoreLocks;
  /** Whether this replica runs the scheduled work. */
  leader: Pick<Leader, 'every' | 'isLeader' | 'start' | 'stop'>;
  /** How the server reaches its own API (the address it listens on). */
  selfUrl: string;
}
