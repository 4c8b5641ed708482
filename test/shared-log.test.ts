// Outputs and apps' logs shared by replicas through Postgres (src/logs/shared-log.ts), against a real
// Postgres: two replicas' LogBooks on one database, each in its own folder.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { openStore, type Store } from '../src/store/db.js';
import { LogBook } from '../src/logs/log-book.js';
import { APP_LOG_LINES, LAG_LINES, SharedLog } from '../src/logs/shared-log.js';
import { appendAppLogLines, appLogKey, isAppLogKey } from '../src/releases/app-log.js';
import { postgresAvailable, startPostgres, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

const skip = needs('postgres');
let cluster: PgCluster | undefined;
let url = '';
let n = 0;
const opened: Array<{ store: Store; shared: SharedLog }> = [];
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** A replica: its own folder and LogBook, sharing through the test's database. */
async function replica(opts: { flushMs?: number } = {}): Promise<{ logs: LogBook; shared: SharedLog; store: Store }> {
  const store = await openStore({ databaseUrl: url, dataDir: tempDir('slipway-shared-log-') });
  const logs = new LogBook(tempDir('slipway-shared-log-files-'));
  const shared = new SharedLog({ db: store.db, databaseUrl: url, origin: `replica-${++n}/i`, logs, log: quiet, flushMs: opts.flushMs, linesKept: (k) => (isAppLogKey(k) ? APP_LOG_LINES : undefined) });
  logs.shareWith(shared);
  await shared.start();
  opened.push({ store, shared });
  return { logs, shared, store };
}

async function until<T>(what: string, fn: () => T | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

before(async () => {
  if (skip || !postgresAvailable()) return;
  cluster = await startPostgres();
  const admin = new pg.Client({ connectionString: cluster.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE sharedlog${process.pid}`);
  await admin.end();
  url = cluster.url.replace(/\/postgres$/, `/sharedlog${process.pid}`);
});
after(async () => { for (const o of opened) { await o.shared.stop(); await o.store.close(); } cluster?.stop(); });

test('an app\'s log written by two replicas at once: each line once, in the same order, in both replicas\' files; the store keeps a bounded tail', { skip, timeout: 60_000 }, async () => {
  const [a, b] = [await replica(), await replica()];
  const key = appLogKey('app1');
  const writes: Array<Promise<void>> = [];
  for (let i = 0; i < 40; i++) {
    appendAppLogLines(a.logs, 'app1', 'heroku[router]', Array.from({ length: 50 }, (_, j) => `a ${i}.${j}`));
    appendAppLogLines(b.logs, 'app1', 'heroku[router]', Array.from({ length: 50 }, (_, j) => `b ${i}.${j}`));
    if (i % 10 === 0) writes.push(a.shared.flush(), b.shared.flush());
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(writes);
  await a.logs.settled(key);
  await b.logs.settled(key);
  await a.logs.settled(key); // what B sent after A's first look
  const linesOf = (l: LogBook) => l.read(key).split('\n').filter(Boolean).map((x) => x.slice(x.indexOf(': ') + 2));
  const [la, lb] = [linesOf(a.logs), linesOf(b.logs)];
  assert.equal(la.length, 4000);
  assert.equal(new Set(la).size, 4000, 'each line once');
  assert.deepEqual(lb, la, 'the same lines in the same order');
  // Each writer's own lines in the order it wrote them.
  assert.deepEqual(la.filter((l) => l.startsWith('a ')), Array.from({ length: 4000 }, (_, k) => `a ${Math.floor(k / 50)}.${k % 50}`).slice(0, 2000));
  // Bursts of a router's batches (10,000 lines each): each line reaches B once, the store keeps a bounded tail.
  for (let i = 0; i < 3; i++) appendAppLogLines(a.logs, 'app1', 'heroku[router]', Array.from({ length: 10_000 }, (_, j) => `burst ${i}.${j}`));
  await a.logs.settled(key);
  await b.logs.settled(key);
  const [ba, bb] = [linesOf(a.logs), linesOf(b.logs)];
  assert.equal(bb.length, 34_000);
  assert.deepEqual(bb, ba);
  const count = await a.store.db.selectFrom('log_chunks').select((e) => e.fn.countAll<string>().as('n')).where('key', '=', key).executeTakeFirstOrThrow();
  assert.equal(Number(count.n), 30_000, 'the store keeps at most one write past its bound');
  appendAppLogLines(a.logs, 'app1', 'heroku[router]', ['after the bursts']);
  await a.logs.settled(key);
  const bounded = await a.store.db.selectFrom('log_chunks').select((e) => e.fn.countAll<string>().as('n')).where('key', '=', key).executeTakeFirstOrThrow();
  assert.equal(Number(bounded.n), APP_LOG_LINES + LAG_LINES, 'the next write trims it to the newest lines');
  ba.push('after the bursts');
  // A replica started now reads the newest 1,500 lines, as the others have them.
  const c = await replica();
  assert.deepEqual(linesOf(c.logs), ba.slice(-APP_LOG_LINES));
});

test('a stream written on one replica is followed live on the other, to its close; lines written while the follower\'s connection is cut come once after it reconnects', { skip, timeout: 60_000 }, async () => {
  const [a, b] = [await replica(), await replica()];
  const key = 'test-runs/r1/0/test';
  a.logs.open(key);
  a.logs.append(key, 'first\n');
  await until('B to see the stream live', () => b.logs.isLive(key));
  let got = '';
  const follower = (async () => { for await (const c of b.logs.follow(key, 0)) got += c.toString(); })();
  await until('the first line on B', () => got.includes('first\n'));
  // Every listener connection cut: what A writes meanwhile comes when B listens again (no notification reached it).
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const cut = await admin.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'slipway-logs' AND datname = current_database()");
  assert.ok(cut.rowCount! >= 2);
  for (let i = 0; i < 100; i++) a.logs.append(key, `line ${i}\n`);
  await a.shared.flush();
  await until('B to catch up after reconnecting', () => got.includes('line 99\n'), 30_000);
  a.logs.append(key, 'last\n');
  a.logs.close(key);
  await follower;
  await admin.end();
  assert.equal(got, a.logs.read(key), 'B followed exactly what A wrote');
  assert.equal(got.split('\n').filter(Boolean).length, 102);
  assert.equal(b.logs.isLive(key), false, 'closed on B too');
});

test('a replica that stops (its SIGTERM) sends what it had not sent yet: the other replica reads every line it wrote', { skip, timeout: 60_000 }, async () => {
  // An hour between sends: only the stop can send these lines.
  const [a, b] = [await replica({ flushMs: 3_600_000 }), await replica()];
  const key = 'builds/stopped-with-lines-pending';
  a.logs.ensureOpen(key);
  for (let i = 0; i < 200; i++) a.logs.append(key, `line ${i} written just before the stop\n`);
  await a.shared.stop();
  await b.shared.settled(key);
  assert.equal(b.logs.read(key).split('\n').filter(Boolean).length, 200);
  assert.equal(b.logs.read(key), a.logs.read(key));
});
