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
  /** Waiters of this process per name: a lease this process lets go wakes them at once (another replica's is seen by polling). */
  private waiting = new Map<string, Set<() => void>>();

  constructor(private o: StoreLocksOptions) {}

  /** Wait `pollMs`, or less if this process lets `name` go meanwhile. */
  private wait(name: string): Promise<void> {
    return new Promise((resolve) => {
      const set = this.waiting.get(name) ?? new Set<() => void>();
      this.waiting.set(name, set);
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        if (!set.size && this.waiting.get(name) === set) this.waiting.delete(name);
        resolve();
      };
      const timer = setTimeout(done, this.o.pollMs ?? 250);
      set.add(done);
    });
  }

  /** Run `fn` holding lease `name` (waiting for it); `fn`'s signal aborts if the lease is lost or `signal` aborts. */
  async run<T>(name: string, fn: (signal: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const { db, ttlMs } = this.o;
    const holder = `${this.o.replica}/${this.o.instance}/${randomBytes(4).toString('hex')}`;
    // A lease an earlier instance of this replica held is ours to take at once (that process is gone).
    const stale = { prefix: `${this.o.replica}/`, except: `${this.o.replica}/${this.o.instance}/` };
    for (;;) {
      signal?.throwIfAborted();
      if (await acquireLease(db, name, holder, ttlMs, stale)) break;
      await this.wait(name);
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
      for (const wake of [...this.waiting.get(name) ?? []]) wake();
    }
  }
}
