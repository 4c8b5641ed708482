// Everything the control plane's modules share, built once in server.ts and passed in.
import type { Config } from './config.js';
import type { Store } from './store/db.js';
import type { Queue } from './jobs/queue.js';
import type { LogBook } from './logs/log-book.js';
import type { SourceBlobs } from './git/source-blobs.js';
import type { Sandbox } from './sandbox/sandbox.js';
import type { Runner } from './runner/runner.js';
import type { AddonManager } from './addons/addon-manager.js';
import type { DynoManager } from './runtime/dyno-manager.js';
import type { OneOffDynos } from './runtime/one-off.js';

export interface Logger { info(msg: string): void; warn(msg: string): void; error(msg: string): void }

export interface AppContext {
  config: Config;
  store: Store;
  queue: Queue;
  logs: LogBook;
  blobs: SourceBlobs;
  sandbox: Sandbox;
  /** Secret for signed stream and blob URLs. */
  secret: string;
  workRoot: string;
  cacheRoot: string;
  runner?: Runner;
  addons: AddonManager;
  dynos: DynoManager;
  oneOffs: OneOffDynos;
  /** Tell the router that apps were created or destroyed. */
  onAppsChanged?: () => Promise<void>;
  log: Logger;
}
