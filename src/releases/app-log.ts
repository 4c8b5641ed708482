// An app's log stream in Heroku's format: `timestamp source[dyno]: message`.
import type { LogBook } from '../logs/log-book.js';

export const appLogKey = (appId: string): string => `apps/${appId}/log`;

export function appendAppLog(logs: LogBook, appId: string, source: string, message: string): void {
  const key = appLogKey(appId);
  logs.ensureOpen(key);
  logs.append(key, `${new Date().toISOString()} ${source}: ${message}\n`);
}
