// The desired-state port over the store, for the embedded agent (a remote agent reaches the same
// two functions over HTTP). Reports also tell the control plane what it reacts to: the router's
// table changed, and a web dyno that was up crashed (automatic rollback).
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Tenant } from '../sandbox/user.js';
import type { DesiredDyno, DesiredStatePort, ObservedDyno } from '../runtime/desired-state.js';
import { desiredDynosOnAgent } from '../store/desired-dynos.js';
import { observedOnAgent, replaceObserved } from '../store/observed-dynos.js';
import { observedReported } from './agents-settled.js';

/** A dyno that was up and is not any more (its agent restarts it; the control plane may roll back). */
export interface DynoCrash { appId: string; releaseId: string; name: string; type: string }

export interface StoreDesiredStateOptions {
  db: Kysely<Database>;
  tenantOf(appId: string): Promise<Tenant | undefined>;
  /** A report was stored: the router refreshes its table (awaited, so a swap drains only after). */
  onReported?(): Promise<void>;
  onCrash?(c: DynoCrash): void;
  /** A dyno's state changed (or it appeared): Heroku's `dyno` webhook event. */
  onStateChanged?(d: ObservedDyno): void;
  /** Every report as it arrives (memory and CPU samples for the app's metrics). */
  onObserved?(observed: ObservedDyno[]): void;
}

export class StoreDesiredState implements DesiredStatePort {
  constructor(private o: StoreDesiredStateOptions) {}

  async desired(agentId: string): Promise<DesiredDyno[]> {
    const rows = await desiredDynosOnAgent(this.o.db, agentId);
    const tenants = new Map<string, Tenant | undefined>();
    for (const appId of new Set(rows.map((r) => r.app_id))) tenants.set(appId, await this.o.tenantOf(appId));
    return rows.filter((r) => r.slug_id).map((r) => ({
      id: r.id, appId: r.app_id, releaseId: r.release_id, version: r.version, slugId: r.slug_id!, type: r.process_type, name: r.name, command: r.command,
      env: JSON.parse(r.config) as Record<string, string>, size: r.size, tenant: tenants.get(r.app_id), space: r.space_id ?? null, generation: r.generation,
    }));
  }

  async report(agentId: string, observed: ObservedDyno[]): Promise<void> {
    const before = new Map((await observedOnAgent(this.o.db, agentId)).map((r) => [r.dyno_id, r]));
    await replaceObserved(this.o.db, agentId, observed.map((d) => ({
      dyno_id: d.id, app_id: d.appId, release_id: d.releaseId, process_type: d.type, name: d.name, state: d.state, host: d.host, port: d.port, restarts: d.restarts, changed_at: d.changedAt, space_address: d.spaceAddress ?? null,
    })));
    observedReported();
    await this.o.onReported?.();
    this.o.onObserved?.(observed);
    // Up before, and now crashed or restarted since: it crashed (a quick restart may hide the crashed state between reports).
    for (const d of observed) {
      const was = before.get(d.id);
      if (was?.state !== d.state) this.o.onStateChanged?.(d);
      if (was?.state === 'up' && (d.state === 'crashed' || d.restarts > was.restarts)) this.o.onCrash?.({ appId: d.appId, releaseId: d.releaseId, name: d.name, type: d.type });
    }
  }
}
