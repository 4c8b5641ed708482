// What one router log line says for the app's metrics: its status class and service time, or the
// error code it carries (H12, H13, …). Read from the line itself, so the Node router, the nginx
// data plane and a router process of its own are measured the same way.

export interface RouterSample {
  /** 2 for 1xx/2xx, 3, 4, or 5. */
  statusClass: 2 | 3 | 4 | 5;
  /** Time to the response (connect + service), ms. */
  serviceMs: number;
  /** Heroku's error code on an `at=error` line. */
  code?: string;
}

const field = (line: string, name: string): string | undefined => new RegExp(`(?:^| )${name}=([^ "]+)`).exec(line)?.[1];

/** The sample in an `at=info` or `at=error` router line; undefined for any other line. */
export function routerSample(quoted: string): RouterSample | undefined {
  // Quoted values (path, desc, fwd) are the client's: emptied first, so they cannot forge a field.
  const line = quoted.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  const at = /^at=(info|error) /.exec(line)?.[1];
  if (!at) return undefined;
  const status = Number(field(line, 'status'));
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const ms = (name: string) => Number(/^(\d+)ms$/.exec(field(line, name) ?? '')?.[1] ?? 0);
  const statusClass = Math.min(5, Math.max(2, Math.floor(status / 100))) as RouterSample['statusClass'];
  const code = at === 'error' ? field(line, 'code') : undefined;
  return { statusClass, serviceMs: ms('connect') + ms('service'), ...(code && /^[HR]\d{1,3}$/.test(code) ? { code } : {}) };
}

/** Heroku's dyno error codes in a dyno's log line (R14 memory quota exceeded, R15 vastly exceeded). */
export function dynoErrorCode(line: string): string | undefined {
  return /^Error (R1[45]) \(/.exec(line)?.[1];
}
