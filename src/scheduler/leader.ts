// Leader election among server replicas: scheduled work (recovery of expired leases, the stale
// review-app sweep) runs on one replica only. On Postgres the leader holds a session advisory lock
// on a connection of its own; the others try again every `retryMs`. A leader whose connection
// fails or stops answering stops its scheduled work at once, and Postgres frees the lock when the
// session ends (a killed process at once; a vanished host after the TCP keepalives set below).
// On SQLite there is one server and it leads.
import type pg from 'pg';
import type { Dialect } from '../store/db.js';
import type { Logger } from '../app-context.js';

export interface LeaderOptions {
  dialect: Dialect;
  databaseUrl?: string;
  log: Logger;
  /** How often a follower tries to become leader (the failover bound after a leader dies). */
  retryMs?: number;
  /** How often the leader checks its connection; it steps down when a check fails or takes this long. */
  checkMs?: number;
}

interface Task { name: string; everyMs: number; atOnce: boolean; fn: (signal: AbortSignal) => Promise<unknown>; timer?: NodeJS.Timeout; busy: boolean }

// Postgres drops a vanished leader's session (and its lock) after idle + interval * count seconds; by
// then the leader's own failed checks (checkMs each) have stopped its work.
const KEEPALIVE = { idle: 10, interval: 5, count: 3 };

export class Leader {
  private tasks: Task[] = [];
  private client?: pg.Client;
  private leading = false;
  private stopped = false;
  private abort = new AbortController();
  private loop?: NodeJS.Timeout;

  constructor(private o: LeaderOptions) {}

  /**
   * Run `fn` every `everyMs` while this replica leads (`atOnce`: also as soon as it leads), never
   * overlapping itself; its signal aborts when leadership is lost.
   */
  every(name: string, everyMs: number, fn: (signal: AbortSignal) => Promise<unknown>, opts: { atOnce?: boolean } = {}): void {
    const task: Task = { name, everyMs, atOnce: opts.atOnce ?? false, fn, busy: false };
    this.tasks.push(task);
    if (this.leading) this.schedule(task);
  }

  isLeader(): boolean { return this.leading; }

  /** Try once to lead (SQLite: lead at once), then keep trying or checking in the background. */
  async start(): Promise<void> {
    if (this.o.dialect === 'sqlite') { this.lead(); return; }
    await this.tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.loop);
    this.stepDown('the server is stopping', false);
    await this.client?.end().catch(() => {});
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    try {
      if (this.leading) await this.check();
      else await this.tryLead();
    } catch (e) {
      this.stepDown(`its connection to Postgres failed (${(e as Error).message})`);
    }
    if (!this.stopped) this.loop = setTimeout(() => { void this.tick(); }, this.leading ? this.o.checkMs ?? 2000 : this.o.retryMs ?? 1000);
  }

  private async tryLead(): Promise<void> {
    const checkMs = this.o.checkMs ?? 2000;
    const { default: pgDriver } = await import('pg');
    const client = new pgDriver.Client({ connectionString: this.o.databaseUrl, application_name: 'slipway-leader', connectionTimeoutMillis: checkMs, query_timeout: checkMs, keepAlive: true });
    client.on('error', () => {}); // reported through the failing query or the 'end' event below
    try {
      await client.connect();
      const { rows } = await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtext('slipway:leader')) AS ok");
      if (!rows[0]?.ok) { await client.end(); return; }
      await client.query(`SET tcp_keepalives_idle = ${KEEPALIVE.idle}; SET tcp_keepalives_interval = ${KEEPALIVE.interval}; SET tcp_keepalives_count = ${KEEPALIVE.count}`);
    } catch (e) {
      await client.end().catch(() => {});
      throw e;
    }
    if (this.stopped) { await client.end().catch(() => {}); return; } // stopped while this attempt ran
    this.client = client;
    client.on('end', () => { if (this.client === client) this.stepDown('its connection to Postgres ended'); });
    this.lead();
  }

  private async check(): Promise<void> {
    await this.client!.query('SELECT 1');
  }

  private lead(): void {
    if (this.stopped || this.leading) return;
    this.leading = true;
    this.abort = new AbortController();
    this.o.log.info('this replica leads: scheduled work (recovery of lost jobs, stale review apps) runs here');
    for (const t of this.tasks) this.schedule(t);
  }

  private schedule(task: Task): void {
    const run = () => {
      if (task.busy || !this.leading) return;
      task.busy = true;
      task.fn(this.abort.signal).catch((e) => this.o.log.error(`${task.name}: ${(e as Error).message}`)).finally(() => { task.busy = false; });
    };
    task.timer = setInterval(run, task.everyMs);
    if (task.atOnce) run();
  }

  private stepDown(why: string, warn = true): void {
    if (this.client) { const c = this.client; this.client = undefined; void c.end().catch(() => {}); }
    if (!this.leading) return;
    this.leading = false;
    for (const t of this.tasks) clearInterval(t.timer);
    this.abort.abort(new Error(`leadership lost: ${why}`));
    if (warn) this.o.log.warn(`this replica no longer leads (${why}); its scheduled work stopped and another replica takes over`);
  }
}
