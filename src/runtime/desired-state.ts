// The seam between the control plane and an agent's dynos: the agent asks which dynos it should
// run and reports what runs. Embedded, the server implements it over the store
// (src/scheduler/desired-state-store.ts); a remote agent gets the same shapes over HTTP.
import type { Tenant } from '../sandbox/user.js';

/** One dyno an agent should run, complete: the agent needs nothing else to start it. */
export interface DesiredDyno {
  /** Stable while the dyno stays as it is; a restart, a new release or a move gives a new id. */
  id: string;
  appId: string;
  releaseId: string;
  version: number;
  slugId: string;
  type: string;
  name: string;
  command: string;
  /** The release's config vars. */
  env: Record<string, string>;
  size: string;
  /** The app's own uid (undefined: the sandbox user). */
  tenant?: Tenant;
  /** The private space the app's dynos share a network with (null: the common runtime). */
  space: string | null;
  generation: number;
}

export type ObservedState = 'starting' | 'up' | 'crashed' | 'stopping' | 'stopped';

/** One dyno as it runs on an agent: where the router reaches it, and how it fares. */
export interface ObservedDyno {
  id: string;
  appId: string;
  releaseId: string;
  type: string;
  name: string;
  state: ObservedState;
  host: string;
  port: number;
  restarts: number;
  /** When its state last changed (ISO). */
  changedAt: string;
  /** Memory in use (working set, MB) and CPU time used so far (ms), when its cgroup measures them: the app's metrics. */
  memoryMb?: number;
  cpuMs?: number;
  /** Its address in its app's private space (the other hosts' resolvers of the space answer with it). */
  spaceAddress?: string;
}

export interface DesiredStatePort {
  /** The dynos this agent should run now, complete (slug id, command, env, size, tenant, network group). */
  desired(agentId: string): Promise<DesiredDyno[]>;
  /** What runs on this agent now (address, port, state, restarts); replaces the agent's previous report. */
  report(agentId: string, observed: ObservedDyno[]): Promise<void>;
}
