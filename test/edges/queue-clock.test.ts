// The queue's leases and back-off, and the store's leases, follow the database's clock, not the clock of the replica that
// wrote them: a replica whose clock is an hour slow neither hands out leases that are already over
// nor finds live leases of others expired. On SQLite and on a throwaway Postgres.
import { test, before, after, mock } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../../src/store/db.js';
import { enqueue, claim, finish, takeExpired } from '../../src/jobs/queue.js';
import { acquireLease } from '../../src/store/leases.js';
import { postgresAvailable, startPostgres, freshDatabase, type PgCluster } from '../helpers/postgres.js';
import { needs } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp.js';

let cluster: PgCluster | undefined;
before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(() => cluster?.stop());

const HOUR = 3600_000;
/** Run `fn` as a replica whose clock is `skewMs` off. */
async function skewed<T>(skewMs: number, fn: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['Date'], now: Date.now() + skewMs });
  try { return await fn(); } finally { mock.timers.reset(); }
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`leases and retries on ${dialect} use the database's clock`, { timeout: 60_000, skip: dialect === 'postgres' ? needs('postgres') : false }, async () => {
    const store: Store = dialect === 'sqlite' ? await openStore({ dataDir: tempDir('slipway-clock-') })
      : await openStore({ databaseUrl: await freshDatabase(cluster!, 'clock'), dataDir: '/nonexistent' });
    try {
      const q = { db: store.db, dialect: store.dialect };
      // A slow replica takes a job with a 60 s lease; another replica must not find it expired.
      await enqueue(q, 'edges-clock', {}, { key: 'edges-clock-1', maxAttempts: 3 });
      const job = await skewed(-HOUR, () => claim(q, ['edges-clock'], 'slow-replica', 60_000));
      assert.ok(job, 'the slow replica claims the job');
      assert.deepEqual(await takeExpired(q, 'good-replica', 60_000), [], 'a live lease is not expired for the others');
      // Its failure is retried after the back-off from the database's now, not an hour early.
      await skewed(-HOUR, () => finish(q, job, 'slow-replica', { ok: false, error: 'try again', retry: true }));
      assert.equal(await claim(q, ['edges-clock'], 'good-replica', 60_000), undefined, 'not due before its back-off');
      // A fast replica does not push leases an hour out: a lease of 1 ms ends for everyone at once.
      await enqueue(q, 'edges-clock-fast', {}, { key: 'edges-clock-2' });
      assert.ok(await skewed(HOUR, () => claim(q, ['edges-clock-fast'], 'fast-replica', 1)));
      await new Promise((r) => setTimeout(r, 50));
      assert.equal((await takeExpired(q, 'good-replica', 60_000)).length, 1, 'the fast replica\'s lease ran out on the database\'s clock');
      // Store leases (one deploy per app at a time) too: the slow replica's live lease is not free for another.
      assert.equal(await skewed(-HOUR, () => acquireLease(store.db, 'deploy:edges', 'slow/1/a', 60_000)), true);
      assert.equal(await acquireLease(store.db, 'deploy:edges', 'good/1/b', 60_000), false, 'a live store lease is not taken over');
    } finally {
      await store.close();
    }
  });
}
