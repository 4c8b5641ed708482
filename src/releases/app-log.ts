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
  const t = lineMs(lastT, now);
  return t === lastT ? (lastIso ??= new Date(t).toISOString()) : new Date(now).toISOString();
}

/** lineTime of a time in Unix milliseconds (NaN: none): `at` within the last day and not ahead of `now`, else `now`. */
export const lineMs = (at: number, now: number): number => (at >= now - OLDEST_MS && at <= now ? at : now);

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

/** Lines of a batch's bytes: line i is `body[starts[i], ends[i])`, its own time `ats[i]` in Unix milliseconds (NaN: none; lineMs). */
export interface WireLines { ats: number[]; starts: number[]; ends: number[] }

/**
 * Where a batch's lines are put together before their write, reused up to SCRATCH_MAX (a larger
 * batch gets a buffer of its own, not kept): a megabyte-sized buffer per batch of router lines was
 * garbage V8 collected its whole heap for (bench/router).
 */
let scratch = Buffer.alloc(0);
const SCRATCH_MAX = 2 * 1024 * 1024;

/**
 * Lines from one source in one write, copied from a router's batch as they arrived (not decoded).
 * Each line's prefix (`time source: `) is written in place: its time as toISOString writes it, the
 * date and second formatted once per second, the milliseconds as three digits (an ISO string made
 * per line was most of this function's cost when a batch's lines came from many apps and moments).
 */
export function appendAppLogBytes(logs: LogBook, appId: string, source: string, body: Buffer, lines: WireLines): void {
  const n = lines.starts.length;
  if (!n) return;
  const key = appLogKey(appId);
  logs.ensureOpen(key);
  const now = Date.now();
  const prefix = Buffer.from(`${ISO_SHAPE} ${source}: `);
  let size = n * (prefix.length + 1);
  for (let i = 0; i < n; i++) size += lines.ends[i]! - lines.starts[i]!;
  if (scratch.length < size && size <= SCRATCH_MAX) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(size, 2 * scratch.length)));
  const out = size <= scratch.length ? scratch : Buffer.allocUnsafe(size);
  let second = NaN;
  let last = NaN;
  let at = 0;
  for (let i = 0; i < n; i++) {
    const t = lineMs(lines.ats[i]!, now);
    if (t !== last) {
      last = t;
      const s = Math.floor(t / 1000);
      if (s !== second) { second = s; prefix.write(isoSecond(s), 0, 'latin1'); }
      const ms = t - s * 1000;
      prefix[20] = 48 + Math.floor(ms / 100);
      prefix[21] = 48 + (Math.floor(ms / 10) % 10);
      prefix[22] = 48 + (ms % 10);
    }
    // A typed array's own set for the few bytes of a prefix (Buffer.copy's call costs more than its copy).
    out.set(prefix, at);
    at += prefix.length;
    at += body.copy(out, at, lines.starts[i], lines.ends[i]);
    out[at++] = 0x0a;
  }
  logs.append(key, out.subarray(0, at), true);
  trimAppLog(logs, key);
}

/** What toISOString writes for a time within years 0-9999: its first 20 characters are the date and second, then `mmmZ`. */
const ISO_SHAPE = '0000-00-00T00:00:00.000Z';
let isoSecondOf = NaN;
let isoSecondText = '';
/** The date and second of Unix second `s` as toISOString writes them, with the dot: `2026-12-04T18:00:00.`. */
function isoSecond(s: number): string {
  if (s !== isoSecondOf) { isoSecondOf = s; isoSecondText = new Date(s * 1000).toISOString().slice(0, 20); }
  return isoSecondText;
}
