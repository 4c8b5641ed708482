// Which uid each tenant runs as: the control plane looks it up (or allocates it) in the store and
// puts it in the job; execution code only ever sees the resulting `Tenant`.
import type { Kysely } from 'kysely';
import type { Database } from './store/schema.js';
import { freeTenantUid, tenantUid, type TenantOwner, type UidRange } from './store/tenant-ids.js';
import type { Tenant } from './sandbox/user.js';
import { KeyedSerial } from './jobs/keyed-serial.js';

export class Tenants {
  /** Why tenants do not get uids of their own, when they do not (for the start-up log). */
  readonly off?: string;
  // One allocation at a time in this server: racing ones all pick the same next uid and all but one retry, so a
  // promotion to 44 apps at once ran out of retries (bench/scale). Replicas on one Postgres still race, and retry.
  private allocations = new KeyedSerial();
  constructor(private db: Kysely<Database>, private range: UidRange | undefined, sandboxUid: number) {
    if (!range) this.off = 'SLIPWAY_TENANT_UIDS=off: every tenant runs as the sandbox user';
    else if (process.getuid?.() !== 0) this.off = 'the server does not run as root, so every tenant runs as the server\'s own uid';
    else if (sandboxUid >= range.first && sandboxUid <= range.last) throw new Error(`SLIPWAY_TENANT_UIDS (${range.first}-${range.last}) contains the sandbox user's uid ${sandboxUid}; choose a range clear of real accounts.`);
  }

  private async get(owner: TenantOwner): Promise<Tenant | undefined> {
    if (this.off || !this.range) return undefined;
    const range = this.range;
    const uid = await this.allocations.run('uid', () => tenantUid(this.db, owner, range));
    return { uid, gid: uid };
  }

  /** An app's builds, release phases, dynos and one-offs. */
  forApp(appId: string): Promise<Tenant | undefined> { return this.get(`app:${appId}`); }
  /** Every node of one test run. */
  forRun(runId: string): Promise<Tenant | undefined> { return this.get(`run:${runId}`); }
  /** The add-on servers of an app, or of a test run: never the uid its dynos/nodes run as. */
  forAddons(kind: 'app' | 'run', id: string): Promise<Tenant | undefined> { return this.get(`addons:${kind}:${id}`); }

  /** The app was destroyed: its uids go back to the range. */
  async freeApp(appId: string): Promise<void> {
    await freeTenantUid(this.db, `app:${appId}`);
    await freeTenantUid(this.db, `addons:app:${appId}`);
  }

  /** The run ended and its add-ons are gone. */
  async freeRun(runId: string): Promise<void> {
    await freeTenantUid(this.db, `run:${runId}`);
    await freeTenantUid(this.db, `addons:run:${runId}`);
  }
}
