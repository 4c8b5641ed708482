// An app's log stream in Heroku's format: `timestamp source[dyno]: message`.
import type { LogBook } from '../logs/log-book.js';

export const appLogKey = (appId: string): string => `apps/${appId}/log`;
export const isAppLogKey = (key: string): boolean => /^apps\/[^/]+\/log$/.test(key);

/** Keep an app's log within APP_LOG_MAX_BYTES: two segments of half that each (LogBook.rotate). */
export function trimAppLog(logs: LogBook, key: string): void { logs.rotate(key, APP_LOG_MAX_BYTES / 2); }

/** An app keeps at most this much log on disk (at least half of it after a rotation). */
export const APP_LOG_MAX_BYTES = 10 * 1024 * 1024;

/** How far back a line's own time is believed (an agent that held lines while the server was away). */
const OLDEST_MS = 24 * 3600_000;

let lastAt: string | undefined;
let lastT = NaN;
let lastIso: string | undefined;
/** A line's time: `at` as its source read it (an agent's clock), kept within the last day and never ahead of this server's clock; else now. */
export function lineTime(at: string | undefined, now = Date.now()): string {
  // A batch's lines mostly share their times: each is parsed once.
  if (at !== lastAt) { lastAt = at; lastT = at ? Date.parse(at) : NaN; lastIso = undefined; }
  const t = lastT;
  if (!Number.isFinite(t) || t < now - OLDEST_MS) return new Date(now).toISOString();
  if (t > now) return new Date(now).toISOString();
  return (lastIso ??= new Date(t).toISOString());
}

export function appendAppLog(logs: LogBook, appId: string, source: string, message: string, at?: string): void {
  const key = appLogKey(appId);
  logs.ensureOpen(key);
  logs.append(key, `${lineTime(at)} ${source}: ${message}\n`);
  trimAppLog(logs, key);
}

/** Many lines from one source in one write (the router's access lines arrive in batches); `ats[i]`: line i's own time (lineTime). */
export function appendAppLogLines(logs: LogBook, appId: string, source: string, messages: string[], ats: Array<string | undefined> = []): void {
  if (!messages.length) return;
  const key = appLogKey(appId);
  logs.ensureOpen(key);
  const now = Date.now();
  logs.append(key, messages.map((m, i) => `${lineTime(ats[i], now)} ${source}: ${m}\n`).join(''));
  trimAppLog(logs, key);
}

/** Lines of a batch's bytes: line i is `body[starts[i], ends[i])`, its own time `ats[i]` (lineTime). */
export interface WireLines { ats: Array<string | undefined>; starts: number[]; ends: number[] }

/**
 * Where a batch's lines are put together before their write, reused up to SCRATCH_MAX (a larger
 * batch gets a buffer of its own, not kept): a megabyte-sized buffer per batch of router lines was
 * garbage V8 collected its whole heap for (bench/router).
 */
let scratch = Buffer.alloc(0);
const SCRATCH_MAX = 2 * 1024 * 1024;

/** Lines from one source in one write, copied from a router's batch as they arrived (not decoded). */
export function appendAppLogBytes(logs: LogBook, appId: string, source: string, body: Buffer, lines: WireLines): void {
  const n = lines.starts.length;
  if (!n) return;
  const key = appLogKey(appId);
  logs.ensureOpen(key);
  const now = Date.now();
  // Each line's prefix (its time and source), made once per distinct time.
  const prefixes: Buffer[] = new Array<Buffer>(n);
  let size = 0;
  for (let i = 0; i < n; i++) {
    prefixes[i] = i > 0 && lines.ats[i] === lines.ats[i - 1] ? prefixes[i - 1]! : Buffer.from(`${lineTime(lines.ats[i], now)} ${source}: `);
    size += prefixes[i]!.length + lines.ends[i]! - lines.starts[i]! + 1;
  }
  if (scratch.length < size && size <= SCRATCH_MAX) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(size, 2 * scratch.length)));
  const out = size <= scratch.length ? scratch : Buffer.allocUnsafe(size);
  let at = 0;
  for (let i = 0; i < n; i++) {
    // A typed array's own set for the few bytes of a prefix (Buffer.copy's call costs more than its copy).
    const p = prefixes[i]!;
    out.set(p, at);
    at += p.length;
    at += body.copy(out, at, lines.starts[i], lines.ends[i]);
    out[at++] = 0x0a;
  }
  logs.append(key, out.subarray(0, at), true);
  trimAppLog(logs, key);
}
