// Output streams and apps' logs shared by server replicas on one Postgres. What a replica writes to
// its LogBook is also sent, in batches, to the store (`log_chunks`, numbered per stream under the
// stream row's lock, so numbers are given out in commit order with no gap), followed by a
// `NOTIFY slipway_logs` naming the stream. Every replica LISTENs and, woken, reads the stream's rows
// after the last number it applied into its own LogBook, so its readers (API streams, `logs --tail`,
// the dashboard) follow lines written anywhere, live. A reconnect reads every stream past its last
// number (nothing lost, nothing applied twice). An app's log is written by every replica: it reaches
// each replica's file only from the store, a row per line; a replica that starts reads its newest
// APP_LOG_LINES (and the store keeps LAG_LINES more for replicas that lag).
import type pg from 'pg';
import { sql, type Kysely } from 'kysely';
import type { Database, LogChunkKind } from '../store/schema.js';
import type { LogBook, LogShare } from './log-book.js';
import type { Logger } from '../app-context.js';

/** Lines of an app's log kept in the store (Heroku's Logplex keeps about as many). */
export const APP_LOG_LINES = 1500;
/** Lines a line-kept stream keeps past its newest `linesKept`, so a replica that lags behind a burst (a router's batch is up to 10,000 lines) still reads each. */
export const LAG_LINES = 20_000;
const CHANNEL = 'slipway_logs';
const ROW_BYTES = 256 * 1024;
/** Rows read at a time: of an output (at most PAGE × ROW_BYTES in memory), of an app's log (lines). */
const PAGE = 200;
const LINES_PAGE = 2000;
/** Changes a replica holds per stream while the store does not answer (the oldest are dropped past it, at each failed try). */
const MAX_PENDING = 10_000;

interface Pending { kind: LogChunkKind; data?: Buffer }

export interface SharedLogOptions {
  db: Kysely<Database>;
  databaseUrl: string;
  /** This replica's instance: its own rows of a stream it writes are already in its file. */
  origin: string;
  logs: Pick<LogBook, 'applyShared'>;
  /** Streams kept a row per line, the newest `n` (apps' logs); undefined: kept whole until closed. */
  linesKept: (key: string) => number | undefined;
  /** After lines of `key` were applied (bounds the app log's file). */
  applied?: (key: string) => void;
  log: Logger;
  flushMs?: number;
}

export class SharedLog implements LogShare {
  private pending = new Map<string, Pending[]>();
  private flushing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private cursor = new Map<string, number>();
  private pulls = new Map<string, Promise<void>>();
  private listener?: pg.Client;
  private stopped = false;
  private backoff = 0;

  constructor(private o: SharedLogOptions) {}

  storeOnly(key: string): boolean { return this.o.linesKept(key) !== undefined; }

  push(key: string, kind: LogChunkKind, data?: Buffer): void {
    let q = this.pending.get(key);
    if (!q) this.pending.set(key, q = []);
    q.push({ kind, data });
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, this.o.flushMs ?? 10);
  }

  /** Every stream not closed is read whole into this replica's file (another replica may be writing it); then LISTEN. */
  async start(): Promise<void> {
    for (const s of await this.o.db.selectFrom('log_streams').select(['key', 'next_seq', 'closed']).execute()) {
      if (s.closed) { this.cursor.set(s.key, Number(s.next_seq)); continue; }
      this.o.logs.applyShared(s.key, 'open');
      const keep = this.o.linesKept(s.key);
      this.cursor.set(s.key, keep === undefined ? 0 : Math.max(0, Number(s.next_seq) - keep));
      await this.pull(s.key);
    }
    await this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.flush();
    await this.listener?.end().catch(() => {});
  }

  /** Resolves once what this replica wrote to `key` is in the store and everything in the store is in its file. */
  async settled(key: string): Promise<void> {
    await this.flush();
    await this.pull(key);
  }

  /** Send every pending change (one transaction per stream); the changes of a stream that failed are kept for the next try. */
  flush(): Promise<void> {
    this.flushing ??= (async () => {
      while (this.pending.size) {
        const batch = this.pending;
        this.pending = new Map();
        for (const [key, items] of batch) {
          try { await this.write(key, items); batch.delete(key); } catch (e) {
            this.o.log.error(`shared log ${key}: ${(e as Error).message}; kept to send again`);
            // This stream's changes and those not tried yet go first, before what came meanwhile.
            for (const [k, q] of this.pending) batch.set(k, [...(batch.get(k) ?? []), ...q].slice(-MAX_PENDING));
            this.pending = batch;
            this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, 1000);
            return;
          }
        }
      }
    })().finally(() => { this.flushing = undefined; });
    return this.flushing;
  }

  private async write(key: string, items: Pending[]): Promise<void> {
    const keep = this.o.linesKept(key);
    const rows: Array<{ kind: LogChunkKind; data: Buffer }> = [];
    for (const it of items) {
      if (it.kind !== 'data') { rows.push({ kind: it.kind, data: Buffer.alloc(0) }); continue; }
      if (keep !== undefined) { for (const line of splitLines(it.data!)) rows.push({ kind: 'data', data: line }); continue; }
      const last = rows.at(-1);
      if (last?.kind === 'data' && last.data.length + it.data!.length <= ROW_BYTES) last.data = Buffer.concat([last.data, it.data!]);
      else rows.push({ kind: 'data', data: it.data! });
    }
    if (!rows.length) return;
    const marker = [...rows].reverse().find((r) => r.kind !== 'data');
    const closed = marker ? (marker.kind === 'close' ? 1 : 0) : null;
    await this.o.db.transaction().execute(async (trx) => {
      // The stream row's lock is held to commit: a later writer gets later numbers and commits after.
      const { rows: [r] } = await sql<{ next_seq: string }>`INSERT INTO log_streams (key, next_seq, closed, updated_at) VALUES (${key}, ${rows.length}, ${closed ?? 0}, ${new Date().toISOString()})
        ON CONFLICT (key) DO UPDATE SET next_seq = log_streams.next_seq + ${rows.length}, closed = COALESCE(${closed}::integer, log_streams.closed), updated_at = EXCLUDED.updated_at RETURNING next_seq`.execute(trx);
      const first = Number(r!.next_seq) - rows.length + 1;
      // One statement of three arrays, whatever the number of rows (a row per line is many rows).
      await sql`INSERT INTO log_chunks (key, seq, kind, origin, data)
        SELECT ${key}, ${first - 1} + r.n, r.kind, ${this.o.origin}, r.data FROM unnest(${rows.map((x) => x.kind)}::text[], ${rows.map((x) => x.data)}::bytea[]) WITH ORDINALITY AS r(kind, data, n)`.execute(trx);
      const opened = rows.map((x) => x.kind).lastIndexOf('open');
      let below = opened >= 0 ? first + opened : 0; // an open starts the stream again: what came before it goes
      if (keep !== undefined) below = Math.max(below, Math.min(first, first + rows.length - keep - LAG_LINES)); // never this write's own lines: each is read once
      if (below > 0) await trx.deleteFrom('log_chunks').where('key', '=', key).where('seq', '<', below).execute();
      await sql`SELECT pg_notify(${CHANNEL}, ${key})`.execute(trx);
    });
  }

  /** Apply the rows of `key` past this replica's cursor, in order (one pull per stream at a time). */
  private pull(key: string): Promise<void> {
    const prev = this.pulls.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.pullNow(key)).finally(() => { if (this.pulls.get(key) === next) this.pulls.delete(key); });
    this.pulls.set(key, next);
    return next;
  }

  private async pullNow(key: string): Promise<void> {
    const own = !this.storeOnly(key); // this replica's rows of a stream it writes are in its file already
    const page = own ? PAGE : LINES_PAGE;
    for (;;) {
      const from = this.cursor.get(key) ?? 0;
      const rows = await this.o.db.selectFrom('log_chunks').select(['seq', 'kind', 'origin', 'data']).where('key', '=', key).where('seq', '>', from).orderBy('seq').limit(page).execute();
      for (const r of rows) {
        if (!(own && r.origin === this.o.origin)) this.o.logs.applyShared(key, r.kind, r.data);
        this.cursor.set(key, Number(r.seq));
      }
      if (rows.some((r) => r.kind === 'data')) this.o.applied?.(key);
      if (rows.length < page) return;
    }
  }

  private async listen(): Promise<void> {
    if (this.stopped) return;
    const { default: pgDriver } = await import('pg');
    const client = new pgDriver.Client({ connectionString: this.o.databaseUrl, application_name: 'slipway-logs', keepAlive: true });
    client.on('error', () => {}); // followed by 'end'
    client.on('notification', (n) => { if (n.payload) this.pull(n.payload).catch((e: Error) => this.o.log.error(`shared log ${n.payload}: ${e.message}`)); });
    client.on('end', () => { if (this.listener === client && !this.stopped) { this.listener = undefined; this.again(); } });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (e) {
      await client.end().catch(() => {});
      this.o.log.error(`shared log: listening on Postgres failed (${(e as Error).message}); trying again`);
      this.again();
      return;
    }
    this.listener = client;
    this.backoff = 0;
    await this.catchUp();
  }

  private again(): void {
    this.backoff = Math.min(5000, Math.max(250, this.backoff * 2));
    setTimeout(() => { void this.listen(); }, this.backoff).unref();
  }

  /** After (re)connecting: every stream that moved past this replica's cursor while no notification could come. */
  private async catchUp(): Promise<void> {
    const streams = await this.o.db.selectFrom('log_streams').select(['key', 'next_seq']).execute().catch(() => []);
    await Promise.all(streams.filter((s) => Number(s.next_seq) > (this.cursor.get(s.key) ?? 0)).map((s) => this.pull(s.key).catch(() => {})));
  }

  /** Closed streams' rows go an hour after they closed (their text is archived, and in each replica's file). */
  async sweep(olderThanMs = 3600_000): Promise<void> {
    const cutoff = new Date(Date.now() - olderThanMs).toISOString();
    const gone = (await this.o.db.selectFrom('log_streams').select('key').where('closed', '=', 1).where('updated_at', '<', cutoff).execute()).map((s) => s.key);
    for (const key of gone) {
      await this.o.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('log_chunks').where('key', '=', key).execute();
        await trx.deleteFrom('log_streams').where('key', '=', key).where('closed', '=', 1).execute();
      });
    }
  }
}

/** Complete lines (with their newline); a last line without one is kept whole. */
function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, from)) { out.push(buf.subarray(from, nl + 1)); from = nl + 1; }
  if (from < buf.length) out.push(buf.subarray(from));
  return out;
}
