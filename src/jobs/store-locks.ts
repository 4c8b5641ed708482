// Mutual exclusion between replicas through leases in the store: work under a name waits its turn,
// renews its lease while it runs, and is told (an aborted signal) if the lease was lost anyway.
import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { acquireLease, releaseLease } from '../store/leases.js';

export interface StoreLocksOptions {
  db: Kysely<Database>;
  /** This replica's stable name (the same after a restart), e.g. `embedded-1a2b3c4d5e`. */
  replica: string;
  /** This process's instance of it: leases of other instances of the replica are stale (they died). */
  instance: string;
  ttlMs: number;
  pollMs?: number;
}

export class StoreLocks {
  constructor(private o: StoreLocksOptions) {}

  /** Run `fn` holding lease `name` (waiting for it); `fn`'s signal aborts if the lease is lost or `signal` aborts. */
  async run<T>(name: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { db, ttlMs } = this.o;
    const holder = `${this.o.replica}/${this.o.instance}/${randomBytes(4).toString('hex')}`;
    // A lease an earlier instance of this replica held is ours to take at once (that process is gone).
    const stale = { prefix: `${this.o.replica}/`, except: `${this.o.replica}/${this.o.instance}/` };
    for (;;) {
      signal?.throwIfAborted();
      if (await acquireLease(db, name, holder, ttlMs, stale)) break;
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 250));
    }
    const lost = new AbortController();
    const renew = setInterval(() => {
      acquireLease(db, name, holder, ttlMs).then((ok) => { if (!ok) lost.abort(new Error(`the lease ${name} was lost`)); })
        .catch((e: Error) => lost.abort(e));
    }, Math.max(100, Math.floor(ttlMs / 3)));
    try {
      return await fn(signal ? AbortSignal.any([signal, lost.signal]) : lost.signal);
    } finally {
      clearInterval(renew);
      await releaseLease(db, name, holder).catch(() => {});
    }
  }
}
