// An app's log stream in Heroku's format: `timestamp source[dyno]: message`.
import type { LogBook } from '../logs/log-book.js';

export const appLogKey = (appId: string): string => `apps/${appId}/log`;

/** An app keeps at most this much log on disk (the newest half survives a trim). */
export const APP_LOG_MAX_BYTES = 10 * 1024 * 1024;

export function appendAppLog(logs: LogBook, appId: string, source: string, message: string): void {
  const key = appLogKey(appId);
  logs.ensureOpen(key);
  logs.append(key, `${new Date().toISOString()} ${source}: ${message}\n`);
  logs.trim(key, APP_LOG_MAX_BYTES, APP_LOG_MAX_BYTES / 2);
}

/** Many lines from one source in one write (the nginx router's access log arrives in batches). */
export function appendAppLogLines(logs: LogBook, appId: string, source: string, messages: string[]): void {
  if (!messages.length) return;
  const key = appLogKey(appId);
  logs.ensureOpen(key);
  const at = new Date().toISOString();
  logs.append(key, messages.map((m) => `${at} ${source}: ${m}\n`).join(''));
  logs.trim(key, APP_LOG_MAX_BYTES, APP_LOG_MAX_BYTES / 2);
}
