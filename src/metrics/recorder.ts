// Records an app's metrics as they happen: router lines (requests by status class, response-time
// bins, H codes), Heroku's dyno lines (R14/R15), crashes, and each dyno's memory and CPU as its
// agent reports them. Counts gather in memory per app-minute and are added to the store every few
// seconds (a crash loses at most that much); minutes older than the retention are dropped.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { ObservedDyno } from '../runtime/desired-state.js';
import { addDynoMinutes, addEventMinutes, addRouterMinutes, purgeMetrics, type DynoMinute, type EventMinute, type RouterMinute } from '../store/metrics.js';
import { BIN_COUNT, binOf } from './latency-bins.js';
import { dynoErrorCode, routerSample, type RouterSample } from './router-sample.js';

/** Minutes kept: 7 days. */
const STATUS_KEYS = { 2: 's2', 3: 's3', 4: 's4', 5: 's5' } as const;
const BIN_KEYS = Array.from({ length: BIN_COUNT }, (_, i) => `h${i}`);

export const RETENTION_MINUTES = 7 * 24 * 60;

export const minuteOf = (ms: number): number => Math.floor(ms / 60_000);

export interface MetricsRecorderOptions {
  db: Kysely<Database>;
  /** How often gathered counts are added to the store. */
  flushMs: number;
  log(line: string): void;
  now?(): number;
}

export class MetricsRecorder {
  private router = new Map<string, RouterMinute>();
  private dynos = new Map<string, DynoMinute>();
  private events = new Map<string, EventMinute>();
  /** Per dyno id: its CPU time at the last report (and when), so each minute gets the difference. */
  private cpu = new Map<string, { ms: number; seen: number }>();
  private timer?: NodeJS.Timeout;
  private flushing: Promise<void> = Promise.resolve();

  constructor(private o: MetricsRecorderOptions) {}

  private lastAt: string | undefined;
  private lastAtMs = NaN;
  /** The last minute minuteAt found within the retention and not ahead of the clock. */
  private inRange = NaN;
  private lastRow?: RouterMinute;
  private minute(): number { return minuteOf((this.o.now ?? Date.now)()); }

  /** `at` (ISO 8601) in Unix milliseconds, NaN when none; a batch's lines mostly share their times, so each is parsed once. */
  private msOf(at: string | undefined): number {
    if (at !== this.lastAt) { this.lastAt = at; this.lastAtMs = at ? Date.parse(at) : NaN; }
    return this.lastAtMs;
  }

  /**
   * The minute a line happened in: its own time (`at`, Unix milliseconds stamped where it was
   * written) when it has one within the retention and not ahead of this clock, else now. Lines that
   * arrive late (a router's batch kept while the server was away) count in the minute they were served.
   */
  private minuteAt(at: number): number {
    const t = minuteOf(at);
    // A minute found in range stays so (the clock only moves on; one just past the retention is purged with it): the clock is read again for another minute only.
    if (t === this.inRange) return t;
    const now = this.minute();
    if (t > now - RETENTION_MINUTES && t <= now) this.inRange = t;
    return t === this.inRange ? t : now;
  }

  /** An app log line as it is written (`at`: when it happened): router lines and Heroku's own dyno lines are measured. */
  line(appId: string, source: string, message: string, at?: string): void {
    if (source === 'heroku[router]') {
      this.routerLine(appId, routerSample(message), this.msOf(at));
    } else if (source.startsWith('heroku[')) {
      const code = dynoErrorCode(message);
      if (code) this.event(appId, code, this.minuteAt(this.msOf(at)));
    }
  }

  /** A router line's sample (router-sample.ts; undefined: the line had none), `at` when it was served (Unix milliseconds; NaN: now). */
  routerLine(appId: string, s: RouterSample | undefined, at = NaN): void {
    if (!s) return;
    const m = this.minuteAt(at);
    // A batch's lines are mostly of one app and minute: its row is looked up once.
    let row = this.lastRow?.app_id === appId && this.lastRow.minute === m ? this.lastRow : undefined;
    if (!row) {
      const key = `${appId}|${m}`;
      row = this.router.get(key);
      if (!row) {
        row = { app_id: appId, minute: m, s2: 0, s3: 0, s4: 0, s5: 0, ...Object.fromEntries(Array.from({ length: BIN_COUNT }, (_, i) => [`h${i}`, 0])) } as RouterMinute;
        this.router.set(key, row);
      }
      this.lastRow = row;
    }
    row[STATUS_KEYS[s.statusClass]]++;
    (row as unknown as Record<string, number>)[BIN_KEYS[binOf(s.serviceMs)]!]!++;
    if (s.code) this.event(appId, s.code, m);
  }

  /** A dyno crashed (it restarts): counted as a `restart` event. */
  restart(appId: string): void { this.event(appId, 'restart'); }

  /** What an agent reported: each dyno's memory in use and CPU time so far. */
  observed(dynos: ObservedDyno[]): void {
    const now = (this.o.now ?? Date.now)();
    const m = minuteOf(now);
    for (const d of dynos) {
      if (d.memoryMb === undefined && d.cpuMs === undefined) continue;
      const key = `${d.appId}|${m}|${d.name}`;
      const row = this.dynos.get(key) ?? { app_id: d.appId, minute: m, dyno: d.name, memory_max_mb: 0, memory_sum_mb: 0, samples: 0, cpu_ms: 0 };
      this.dynos.set(key, row);
      if (d.memoryMb !== undefined) {
        row.memory_max_mb = Math.max(row.memory_max_mb, d.memoryMb);
        row.memory_sum_mb += d.memoryMb;
        row.samples++;
      }
      if (d.cpuMs !== undefined) {
        const last = this.cpu.get(d.id);
        // A restarted process starts its count again: only growth is CPU used since the last report.
        if (last && d.cpuMs >= last.ms) row.cpu_ms += d.cpuMs - last.ms;
        this.cpu.set(d.id, { ms: d.cpuMs, seen: now });
      }
    }
  }

  private event(appId: string, code: string, m = this.minute()): void {
    const key = `${appId}|${m}|${code}`;
    const row = this.events.get(key) ?? { app_id: appId, minute: m, code, count: 0 };
    row.count++;
    this.events.set(key, row);
  }

  /** Add what was gathered to the store (one flush at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const router = [...this.router.values()];
      const dynos = [...this.dynos.values()];
      const events = [...this.events.values()];
      this.router.clear(); this.dynos.clear(); this.events.clear();
      this.lastRow = undefined;
      const now = (this.o.now ?? Date.now)();
      for (const [id, c] of this.cpu) if (now - c.seen > 10 * 60_000) this.cpu.delete(id);
      try {
        await addRouterMinutes(this.o.db, router);
        await addDynoMinutes(this.o.db, dynos);
        await addEventMinutes(this.o.db, events);
      } catch (e) {
        this.o.log(`recording metrics: ${(e as Error).message} (${router.length + dynos.length + events.length} minutes dropped)`);
      }
    });
    return this.flushing;
  }

  /** Drop minutes past the retention (and those of destroyed apps). */
  purge(): Promise<number> { return purgeMetrics(this.o.db, this.minute() - RETENTION_MINUTES); }

  start(): void { this.timer = setInterval(() => { void this.flush(); }, this.o.flushMs); }

  async close(): Promise<void> { clearInterval(this.timer); await this.flush(); }
}
