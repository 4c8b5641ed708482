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
