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
  if (quoted.startsWith('at=info ')) return routerSampleOf(Buffer.from(quoted), 0, Buffer.byteLength(quoted));
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

const AT_INFO = Buffer.from('at=info ');
const STATUS = Buffer.from(' status=');
const CONNECT = Buffer.from(' connect=');
const SERVICE = Buffer.from(' service=');

/**
 * The sample of the router line `buf[start, end)` (a batch's bytes, undecoded). An `at=info` line
 * is read from what follows its last quote: every value a client writes (path, forwarded-for) is
 * quoted with its quotes escaped, and the fields after the last one are the router's own
 * (`dyno=… connect=…ms service=…ms status=… bytes=… protocol=…`); the last of each name is taken.
 * Every request's line is read so, so it reads the few bytes it needs. Other lines: routerSample.
 */
export function routerSampleOf(buf: Buffer, start: number, end: number): RouterSample | undefined {
  if (end - start <= AT_INFO.length || buf.compare(AT_INFO, 0, AT_INFO.length, start, start + AT_INFO.length) !== 0) return routerSample(buf.toString('utf8', start, end));
  const quote = buf.lastIndexOf(0x22, end - 1);
  const from = quote >= start ? quote + 1 : start;
  const status = digitsAfter(buf, STATUS, from, end);
  if (status === undefined || status.value < 100 || status.value > 599 || (status.end < end && buf[status.end] !== 0x20)) return undefined;
  return { statusClass: Math.min(5, Math.max(2, Math.floor(status.value / 100))) as RouterSample['statusClass'], serviceMs: msAfter(buf, CONNECT, from, end) + msAfter(buf, SERVICE, from, end) };
}

/** The whole number after the last `name` in `buf[from, end)`, and where its digits end. */
function digitsAfter(buf: Buffer, name: Buffer, from: number, end: number): { value: number; end: number } | undefined {
  const i = buf.lastIndexOf(name, end - name.length);
  if (i < from) return undefined;
  let value = 0;
  let j = i + name.length;
  for (; j < end && j - i - name.length < 9 && buf[j]! >= 0x30 && buf[j]! <= 0x39; j++) value = value * 10 + buf[j]! - 0x30;
  return j > i + name.length ? { value, end: j } : undefined;
}

/** `name` followed by digits, `ms` and a space or the end: those milliseconds, else 0. */
function msAfter(buf: Buffer, name: Buffer, from: number, end: number): number {
  const d = digitsAfter(buf, name, from, end);
  return d && buf[d.end] === 0x6d && buf[d.end + 1] === 0x73 && (d.end + 2 === end || buf[d.end + 2] === 0x20) ? d.value : 0;
}

/** Heroku's dyno error codes in a dyno's log line (R14 memory quota exceeded, R15 vastly exceeded). */
export function dynoErrorCode(line: string): string | undefined {
  return /^Error (R1[45]) \(/.exec(line)?.[1];
}
