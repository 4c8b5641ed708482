// The embedded default's dyno plane: the server registers itself an agent named `local`, runs a
// reconciler for it over the store (the same port a remote agent reaches over HTTP), keeps the
// router's table from the observed state, and moves dynos off agents that went silent.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Tenant } from '../sandbox/user.js';
import type { Logger } from '../app-context.js';
import { DynoManager, type DynoManagerOptions } from '../runtime/dyno-manager.js';
import { Reconciler } from '../runtime/reconciler.js';
import { RouteTable } from '../runtime/route-table.js';
import { routableTargets, sayRefusedOnce } from '../runtime/own-host-targets.js';
import { thisHostCheck } from '../core/this-host-address.js';
import { ensureAgent } from '../store/dyno-agents.js';
import { upWebDynos } from '../store/observed-dynos.js';
import { StoreDesiredState, type DynoCrash } from './desired-state-store.js';
import type { ObservedDyno } from '../runtime/desired-state.js';
import { AGENT_LOST_MS, rescheduleStranded } from './schedule-app.js';
import { waitForAgents } from './agents-settled.js';

export const LOCAL_AGENT = 'local';

/**
 * The name of this server's agent `local` (the local agent process, or the server's own agent without
 * one). Replicas on one Postgres each have their own, suffixed with the replica's id, so no two
 * servers reconcile one agent's dynos or take each other's agent token.
 */
export function localAgentNames(replica?: string): { local: string } {
  return { local: `${LOCAL_AGENT}${replica ? `-${replica.slice(-6)}` : ''}` };
}

export interface EmbeddedDynosOptions {
  db: Kysely<Database>;
  manager: Omit<DynoManagerOptions, 'onChange' | 'onTargetsChanged'>;
  tenantOf(appId: string): Promise<Tenant | undefined>;
  slugFile(slugId: string): Promise<string>;
  /** The router's table changed (the nginx data plane rewrites its configuration). */
  onRoutesChanged(): Promise<void>;
  onCrash(c: DynoCrash): void;
  /** A dyno's state changed, as its agent reported it. */
  onStateChanged?(d: ObservedDyno): void;
  /** Every report (the app's memory and CPU metrics). */
  onObserved?(observed: ObservedDyno[]): void;
  log: Logger;
  /** How often the agent reconciles and reports, and the control plane looks for lost agents. */
  intervalMs?: number;
  lostAfterMs?: number;
  /** Agent name (a test runs a second in-process agent under another name). */
  agentName?: string;
  /** false: this server runs no dynos itself (a local agent process, or remote agents, run them all). */
  local?: boolean;
}

export interface EmbeddedDynos {
  /** The local agent's id (undefined: no local agent). */
  agentId?: string;
  routes: RouteTable;
  reconciler?: Reconciler;
  /** The port over the store, for every agent: the local one here, remote ones through /agent/v1/dynos. */
  port: StoreDesiredState;
  /** Desired rows changed: the local agent reconciles now; with `appId`, resolves once every agent has acted on that app (bounded). */
  changed(appId?: string): Promise<void>;
  /** Reconcile from the stored desired state (the dynos a previous run left come back) and keep at it. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function createEmbeddedDynos(o: EmbeddedDynosOptions): Promise<EmbeddedDynos> {
  const agent = o.local === false ? undefined : await ensureAgent(o.db, o.agentName ?? LOCAL_AGENT);
  const lostAfterMs = o.lostAfterMs ?? AGENT_LOST_MS;
  // On this server's host, only a server's own agents' dynos (labels the server gives: its local
  // agent, its in-process one) may be at this host's addresses: another agent's there (reported
  // through a replica on another host, whose check was against that host) would reach this host's
  // own services. (A replica's own agents' dynos are on its host: several replicas with embedded
  // dynos are for one host; across hosts the embedded runner is off, docs/scale-out.md.)
  const refused = sayRefusedOnce(o.log.warn, 'this server\'s host');
  const routes = new RouteTable(async () => {
    const atThisHost = thisHostCheck();
    const all = await upWebDynos(o.db, lostAfterMs);
    return new Map([...all].map(([app, ds]) => [app, routableTargets(
      ds.map(({ local, ...t }) => ({ ...t, ...(local ? { own: true } : {}) })),
      { atThisHost, besideServer: true, refused },
    )]));
  }, o.log.warn);
  const port = new StoreDesiredState({ db: o.db, tenantOf: o.tenantOf, onCrash: o.onCrash, onStateChanged: o.onStateChanged, onObserved: o.onObserved, onReported: async () => { await routes.refresh(); await o.onRoutesChanged(); } });
  // The manager tells the reconciler of every change; the reconciler drives the manager.
  const hooks = { report: (): Promise<void> => Promise.resolve() };
  const manager = new DynoManager({ ...o.manager, onChange: () => { void hooks.report(); }, onTargetsChanged: () => hooks.report() });
  const intervalMs = o.intervalMs ?? 2000;
  const reconciler = agent && new Reconciler({ agentId: agent.id, port, dynos: manager, slugFile: o.slugFile, intervalMs, log: (l) => o.log.error(`agent ${agent.name}: ${l}`) });
  if (reconciler) hooks.report = () => reconciler.report();
  let sweep: NodeJS.Timeout | undefined;
  let sweeping = false;
  // This agent's dynos ended with the previous server: its last report is void (the reconciler starts them again).
  if (agent) await port.report(agent.id, []);
  return {
    agentId: agent?.id, routes, reconciler, port,
    async changed(appId) {
      await reconciler?.poke();
      if (!appId) return;
      await waitForAgents(o.db, appId, { lostAfterMs, timeoutMs: o.manager.bootTimeoutMs + 10_000, skipAgent: agent?.id });
      // What the agents reported is what the routers serve before this answers.
      await routes.refresh();
      await o.onRoutesChanged();
    },
    async start() {
      await reconciler?.start();
      sweep = setInterval(() => {
        if (sweeping) return;
        sweeping = true;
        rescheduleStranded(o.db, lostAfterMs).then((moved) => moved.length ? reconciler?.poke() : undefined)
          .catch((e: Error) => o.log.error(`placing dynos of lost agents: ${e.message}`)).finally(() => { sweeping = false; });
      }, intervalMs);
    },
    async close() { clearInterval(sweep); await reconciler?.stop(); },
  };
}
