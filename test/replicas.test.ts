// What lets several server replicas share one store: store leases (release phases, deploys per
// app), atomic job claims under concurrency, and leader election for scheduled work.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openStore, type Store } from '../src/store/db.js';
import { acquireLease } from '../src/store/leases.js';
import { StoreLocks } from '../src/jobs/store-locks.js';
import { enqueue, claim } from '../src/jobs/queue.js';
import { Leader } from '../src/scheduler/leader.js';
import { postgresAvailable, startPostgres, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let cluster: PgCluster | undefined;
let dbCounter = 0;
const opened: Store[] = [];
const quiet = { info: () => {}, warn: () => {}, error: (m: string) => console.error(m) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A fresh database; `replicas` stores open on it, as that many servers would. */
async function freshStores(dialect: 'sqlite' | 'postgres', replicas = 1): Promise<{ stores: Store[]; url?: string }> {
  let url: string | undefined;
  const dataDir = tempDir('slipway-replicas-');
  if (dialect === 'postgres') {
    const name = `replicas${process.pid}_${++dbCounter}`;
    const admin = new pg.Client({ connectionString: cluster!.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = cluster!.url.replace(/\/postgres$/, `/${name}`);
  }
  const stores: Store[] = [];
  for (let i = 0; i < replicas; i++) stores.push(await openStore({ databaseUrl: url, dataDir }));
  opened.push(...stores);
  return { stores, url };
}

before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(async () => { for (const s of opened) await s.close(); cluster?.stop(); });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`store leases on ${dialect}`, () => {
    const skip = dialect === 'postgres' ? needs('postgres') : false;

    test('one holder at a time; renewable by its holder; free once expired or released', { skip, timeout: 20_000 }, async () => {
      const { stores: [s] } = await freshStores(dialect);
      const db = s!.db;
      assert.equal(await acquireLease(db, 'release-phase:a', 'r1/i1/x', 300), true);
      assert.equal(await acquireLease(db, 'release-phase:a', 'r2/i1/y', 300), false, 'held by another replica');
      assert.equal(await acquireLease(db, 'release-phase:b', 'r2/i1/y', 300), true, 'other names are independent');
      assert.equal(await acquireLease(db, 'release-phase:a', 'r1/i1/x', 300), true, 'renewed by its holder');
      await sleep(400);
      assert.equal(await acquireLease(db, 'release-phase:a', 'r2/i1/y', 300), true, 'expired: taken over');
      // A lease of an earlier instance of the same replica (it was killed) is free at once.
      assert.equal(await acquireLease(db, 'deploy:a', 'r1/old/x', 60_000), true);
      assert.equal(await acquireLease(db, 'deploy:a', 'r1/new/y', 60_000, { prefix: 'r1/', except: 'r1/new/' }), true);
      assert.equal(await acquireLease(db, 'deploy:a', 'r2/i1/z', 60_000, { prefix: 'r2/', except: 'r2/i1/' }), false, 'another replica\'s live lease is not stale');
    });

    test('StoreLocks: work under one name never overlaps, across replicas; a dead holder loses it at expiry', { skip, timeout: 30_000 }, async () => {
      const { stores } = await freshStores(dialect, 2);
      const locks = stores.map((s, i) => new StoreLocks({ db: s.db, replica: `replica${i}`, instance: 'i', ttlMs: 1000, pollMs: 20 }));
      let inside = 0;
      let most = 0;
      const order: number[] = [];
      await Promise.all(Array.from({ length: 8 }, (_, n) => locks[n % 2]!.run('release-phase:app1', async () => {
        inside++;
        most = Math.max(most, inside);
        await sleep(30);
        order.push(n);
        inside--;
      })));
      assert.equal(most, 1, 'never two at once');
      assert.equal(order.length, 8);
      // A holder that died (its lease written, never renewed or released) blocks until its lease expires.
      await acquireLease(stores[0]!.db, 'deploy:app1', 'dead-replica/i/x', 800);
      const t0 = Date.now();
      await locks[1]!.run('deploy:app1', async () => {});
      const waited = Date.now() - t0;
      assert.ok(waited >= 600 && waited < 3000, `waited ${waited} ms for the dead holder's lease to expire`);
    });
  });
}

describe('replicas on one Postgres', () => {
  const skip = needs('postgres');

  test('claims from two replicas hammering the queue: every job is claimed exactly once', { skip, timeout: 60_000 }, async () => {
    const { stores } = await freshStores('postgres', 2);
    const q0 = { db: stores[0]!.db, dialect: 'postgres' as const };
    const JOBS = 300;
    for (let i = 0; i < JOBS; i++) await enqueue(q0, 'hammer', { i });
    const claimed = new Map<string, string[]>();
    // Each replica claims with 8 concurrent loops (its pool has 10 connections).
    await Promise.all(stores.flatMap((s, r) => Array.from({ length: 8 }, async (_, w) => {
      const q = { db: s.db, dialect: 'postgres' as const };
      for (;;) {
        const job = await claim(q, ['hammer'], `replica${r}/w${w}`, 60_000);
        if (!job) return;
        claimed.set(job.id, [...(claimed.get(job.id) ?? []), `replica${r}/w${w}`]);
      }
    })));
    assert.equal(claimed.size, JOBS, 'every job claimed');
    const twice = [...claimed.entries()].filter(([, by]) => by.length > 1);
    assert.deepEqual(twice, [], 'no job claimed twice');
    const byReplica = [0, 1].map((r) => [...claimed.values()].filter((by) => by[0]!.startsWith(`replica${r}/`)).length);
    assert.ok(byReplica.every((n) => n > 0), `both replicas claimed work: ${byReplica.join(' / ')}`);
    const running = await stores[1]!.db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').executeTakeFirstOrThrow();
    assert.equal(Number(running.n), JOBS);
  });

  test('leader election: one leader runs scheduled work; when its session dies it stops at once and the other leads within 2 s', { skip, timeout: 60_000 }, async () => {
    const { url } = await freshStores('postgres');
    const runs = { a: 0, b: 0 };
    const a = new Leader({ dialect: 'postgres', databaseUrl: url, log: quiet, retryMs: 200, checkMs: 500 });
    const b = new Leader({ dialect: 'postgres', databaseUrl: url, log: quiet, retryMs: 200, checkMs: 500 });
    let signalA: AbortSignal | undefined;
    a.every('tick', 50, async (signal) => { runs.a++; signalA = signal; });
    b.every('tick', 50, async () => { runs.b++; });
    try {
      await a.start();
      await b.start();
      assert.equal(a.isLeader(), true);
      assert.equal(b.isLeader(), false);
      await sleep(500);
      assert.ok(runs.a > 3, `the leader ran its work (${runs.a})`);
      assert.equal(runs.b, 0, 'the follower ran none');
      // The leader's session is killed (as when its process dies or Postgres drops it).
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      const t0 = Date.now();
      await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'slipway-leader' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted)");
      await admin.end();
      while (a.isLeader() && Date.now() - t0 < 2000) await sleep(10);
      assert.equal(a.isLeader(), false, 'the old leader stepped down');
      assert.equal(signalA?.aborted, true, 'its running work was told to stop');
      const stoppedAt = runs.a;
      while (!b.isLeader() && Date.now() - t0 < 5000) await sleep(10);
      const failoverMs = Date.now() - t0;
      assert.equal(b.isLeader(), true, 'the follower took over');
      console.log(`leader failover after its session was killed: ${failoverMs} ms`);
      await sleep(300);
      assert.ok(runs.b > 0, 'the new leader runs the work');
      // The old leader keeps trying, but the lock is held: it stays a follower and runs nothing.
      assert.equal(a.isLeader(), false);
      assert.equal(runs.a, stoppedAt, 'the old leader ran nothing more');
    } finally {
      await a.stop();
      await b.stop();
    }
  });

  test('on SQLite the one server leads', { timeout: 5_000 }, async () => {
    const l = new Leader({ dialect: 'sqlite', log: quiet });
    await l.start();
    assert.equal(l.isLeader(), true);
    await l.stop();
    assert.equal(l.isLeader(), false);
  });
});
