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

/** A field's value (unquoted); compiled once, as this runs for every router line. */
const FIELDS = { status: /(?:^| )status=([^ "]+)/, connect: /(?:^| )connect=([^ "]+)/, service: /(?:^| )service=([^ "]+)/, code: /(?:^| )code=([^ "]+)/ };
const field = (line: string, name: keyof typeof FIELDS): string | undefined => FIELDS[name].exec(line)?.[1];
const QUOTED = /"(?:[^"\\]|\\.)*"/g;
const AT = /^at=(info|error) /;
const MS = /^(\d+)ms$/;

/** The sample in an `at=info` or `at=error` router line; undefined for any other line. */
export function routerSample(quoted: string): RouterSample | undefined {
  if (quoted.startsWith('at=info ')) return infoSample(quoted.slice(quoted.lastIndexOf('"') + 1));
  // Quoted values (path, desc, fwd) are the client's: emptied first, so they cannot forge a field.
  const line = quoted.replace(QUOTED, '""');
  const at = AT.exec(line)?.[1];
  if (!at) return undefined;
  const status = Number(field(line, 'status'));
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const ms = (name: 'connect' | 'service') => Number(MS.exec(field(line, name) ?? '')?.[1] ?? 0);
  const statusClass = Math.min(5, Math.max(2, Math.floor(status / 100))) as RouterSample['statusClass'];
  const code = at === 'error' ? field(line, 'code') : undefined;
  return { statusClass, serviceMs: ms('connect') + ms('service'), ...(code && /^[HR]\d{1,3}$/.test(code) ? { code } : {}) };
}

/** The value after the last ` name=` in `tail`, up to a space or its end. */
const after = (tail: string, name: string): string | undefined => {
  const i = tail.lastIndexOf(name);
  if (i < 0) return undefined;
  const end = tail.indexOf(' ', i + name.length);
  return tail.slice(i + name.length, end < 0 ? undefined : end);
};
const msOf = (v: string | undefined): number => (v && v.endsWith('ms') && /^\d+$/.test(v.slice(0, -2)) ? Number(v.slice(0, -2)) : 0);

/**
 * An `at=info` line's sample from what follows its last quote: every value a client writes (path,
 * forwarded-for) is quoted with its quotes escaped, and the fields after the last one are the
 * router's own (`dyno=… connect=…ms service=…ms status=… bytes=… protocol=…`); the last of each
 * name is taken. Every request's line is read so, so it reads the little it needs.
 */
export function infoSample(tail: string): RouterSample | undefined {
  const status = Number(after(tail, ' status='));
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  return { statusClass: Math.min(5, Math.max(2, Math.floor(status / 100))) as RouterSample['statusClass'], serviceMs: msOf(after(tail, ' connect=')) + msOf(after(tail, ' service=')) };
}

/** Heroku's dyno error codes in a dyno's log line (R14 memory quota exceeded, R15 vastly exceeded). */
export function dynoErrorCode(line: string): string | undefined {
  return /^Error (R1[45]) \(/.exec(line)?.[1];
}
