// Where an app's add-on servers run: the AddonManager of the process that hosts them (the server,
// or the local agent process beside it), reached through this port.
import type { Tenant } from '../sandbox/user.js';
import type { AddonRequest } from './addon-spec.js';
import type { Provisioned } from './providers.js';

/** A new app add-on: how it is provided and the URL its app is given. */
export interface AppAddonMade { provider: Provisioned['provider']; port: number | null; url: string; database: string | null }

/** What starting an add-on again needs of its stored row. */
export interface AppAddonRecord {
  id: string; app_id: string; service: string; provider: string; port: number | null; url: string; database: string | null;
  /** Its supervisor's count so far (core/addon-server-status.ts): carried on when it is started again. */
  restarts?: number; last_exit?: string | null;
}

export interface AppAddonHost {
  /** Provision an app's add-on, run as `tenant` (the app's add-on uid). */
  provisionForApp(id: string, req: AddonRequest, appId: string, tenant?: Tenant): Promise<AppAddonMade>;
  /** Start it again (nothing when it runs already); the new URL when its address could not be had again. */
  startForApp(a: AppAddonRecord, tenant?: Tenant): Promise<string | undefined>;
  /** Stop it and delete its data. */
  destroyForApp(a: Pick<AppAddonRecord, 'id' | 'provider' | 'database'>): Promise<void>;
}
