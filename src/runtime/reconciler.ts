// An agent's dynos follow the desired state: periodically and when poked, the dynos this agent
// should run are compared with what runs, and the difference is started and stopped through the
// dyno manager (boot checks, crash back-off, draining and zero-downtime swaps are its own). What
// runs is reported back after every change and on every pass (the report is also the heartbeat).
import type { DynoManager, DynoSpec, Dyno } from './dyno-manager.js';
import type { DesiredDyno, DesiredStatePort, ObservedDyno } from './desired-state.js';
import { dynoSize } from '../core/dyno-size.js';
import type { Tenant } from '../sandbox/user.js';

export interface ReconcilerOptions {
  agentId: string;
  port: DesiredStatePort;
  dynos: Pick<DynoManager, 'list' | 'all' | 'replace' | 'shutdown' | 'handOver'>;
  /** Where this host has a release's slug (a remote agent downloads it first, unless the host has the slug's tree for `tenant`). */
  slugFile(slugId: string, tenant?: Tenant): Promise<string>;
  intervalMs: number;
  log(line: string): void;
  /** Where the router reaches a dyno, if not where it listens (a remote agent forwards a port of its own address). */
  expose?(d: Dyno): Promise<{ host: string; port: number }>;
}

interface Lane { busy: boolean; next?: DesiredDyno[]; done?: Promise<void>; resolve?: () => void }

export class Reconciler {
  private lanes = new Map<string, Lane>();
  /** Per app: the desired set whose swap failed (the previous dynos keep serving; not retried until it changes). */
  private held = new Map<string, string>();
  private timer?: NodeJS.Timeout;
  private ticking = false;
  private closed = false;
  private chain = Promise.resolve();
  private pending?: Promise<void>;

  constructor(private o: ReconcilerOptions) {}

  /** Reconcile now and then every interval. */
  async start(): Promise<void> {
    await this.poke();
    this.timer = setInterval(() => {
      // The report is the heartbeat: it goes out even while a long swap holds up a pass.
      if (this.ticking) { void this.report(); return; }
      this.ticking = true;
      void this.poke().finally(() => { this.ticking = false; });
    }, this.o.intervalMs);
  }

  /** One pass: resolves once every app's dynos were brought to the desired state read now. */
  async poke(): Promise<void> {
    if (this.closed) return;
    let desired: DesiredDyno[];
    try {
      desired = await this.o.port.desired(this.o.agentId);
    } catch (e) {
      // The control plane is away: what runs keeps running as it is.
      this.o.log(`reading the desired dynos: ${(e as Error).message}`);
      return;
    }
    const byApp = new Map<string, DesiredDyno[]>();
    for (const d of desired) byApp.set(d.appId, [...byApp.get(d.appId) ?? [], d]);
    for (const d of this.o.dynos.all()) if (!byApp.has(d.appId)) byApp.set(d.appId, []);
    await Promise.all([...byApp].map(([appId, ds]) => this.schedule(appId, ds)));
    await this.report();
  }

  /** Stop reconciling and stop every dyno (the desired state is left as it is); `handOver`: leave them running for the next process of this agent. */
  async stop(handOver = false): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (handOver) { this.o.dynos.handOver(); return; }
    await this.o.dynos.shutdown();
    await this.report();
  }

  /** Send what runs now; reports go one at a time and a report not sent yet covers later changes too. */
  report(): Promise<void> {
    if (this.pending) return this.pending;
    const p: Promise<void> = this.chain.then(async () => {
      if (this.pending === p) this.pending = undefined;
      const expose = this.o.expose;
      const all = this.o.dynos.all();
      await Promise.all(all.map(async (d) => (expose ? { ...observed(d), ...await expose(d) } : observed(d))))
        .then((list) => this.o.port.report(this.o.agentId, list)).catch((e: Error) => this.o.log(`reporting dynos: ${e.message}`));
    });
    this.pending = p;
    this.chain = p;
    return p;
  }

  /** One app at a time: a change that comes during a swap is applied after it (only the latest). */
  private schedule(appId: string, desired: DesiredDyno[]): Promise<void> {
    const lane = this.lanes.get(appId) ?? { busy: false };
    this.lanes.set(appId, lane);
    lane.next = desired;
    lane.done ??= new Promise<void>((r) => { lane.resolve = r; });
    const done = lane.done;
    if (!lane.busy) void this.drain(appId, lane);
    return done;
  }

  private async drain(appId: string, lane: Lane): Promise<void> {
    lane.busy = true;
    while (lane.next) {
      const desired = lane.next;
      const resolve = lane.resolve!;
      lane.next = lane.done = lane.resolve = undefined;
      await this.apply(appId, desired).catch((e: Error) => this.o.log(`dynos of app ${appId}: ${e.stack ?? e.message}`));
      resolve();
    }
    lane.busy = false;
    if (!this.o.dynos.list(appId).length) this.lanes.delete(appId);
  }

  private async apply(appId: string, desired: DesiredDyno[]): Promise<void> {
    if (this.closed) return;
    const signature = desired.map((d) => d.id).sort().join(' ');
    if (this.held.get(appId) === signature) return;
    this.held.delete(appId);
    const running = this.o.dynos.list(appId);
    const wanted = new Set(desired.map((d) => d.id));
    const fresh = desired.filter((d) => !running.some((r) => r.id === d.id));
    const leaving = running.filter((r) => !wanted.has(r.id));
    if (!fresh.length && !leaving.length) return;
    if (!await this.o.dynos.replace(appId, await Promise.all(fresh.map((d) => this.spec(d))), leaving)) this.held.set(appId, signature);
    await this.report();
  }

  private async spec(d: DesiredDyno): Promise<DynoSpec> {
    return {
      id: d.id, appId: d.appId, type: d.type, name: d.name, command: d.command, size: dynoSize(d.size), space: d.space,
      release: { id: d.releaseId, version: d.version, slugId: d.slugId, slugFile: await this.o.slugFile(d.slugId, d.tenant), config: d.env, tenant: d.tenant },
    };
  }
}

const observed = (d: Dyno): ObservedDyno => ({
  id: d.id, appId: d.appId, releaseId: d.release.id, type: d.type, name: d.name, host: d.host, port: d.port, restarts: d.restarts, changedAt: d.changedAt,
  state: d.draining ? 'stopping' : d.state === 'down' ? 'stopped' : d.state,
  ...d.net?.spaceId ? { spaceAddress: d.net.address } : {},
  ...sample(d),
});

/** What the dyno's cgroup measures now (nothing under rlimits only). */
function sample(d: Dyno): Pick<ObservedDyno, 'memoryMb' | 'cpuMs'> {
  const bytes = d.proc?.memoryBytes();
  const cpu = d.proc?.cpuMs();
  return { ...(bytes !== undefined ? { memoryMb: Math.round((bytes / 1048576) * 10) / 10 } : {}), ...(cpu !== undefined ? { cpuMs: cpu } : {}) };
}
