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
