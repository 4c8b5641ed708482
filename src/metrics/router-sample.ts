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
 * Every request's line is read so: one pass over those few bytes in JavaScript (a native
 * `lastIndexOf` per field cost more in its calls than in its search). Other lines: routerSample.
 */
export function routerSampleOf(buf: Buffer, start: number, end: number): RouterSample | undefined {
  if (end - start <= AT_INFO.length || !isAt(buf, start, AT_INFO, end)) return routerSample(buf.toString('utf8', start, end));
  const tail = tailSample(buf, start, end);
  if (tail) return tail;
  let from = end - 1;
  while (from >= start && buf[from] !== 0x22) from--;
  from = from >= start ? from + 1 : start;
  let status = -1;
  let connect = -1;
  let service = -1;
  for (let i = from; i < end; i++) {
    if (buf[i] !== 0x20) continue;
    const c = buf[i + 1];
    if (c === 0x73) {
      if (isAt(buf, i, STATUS, end)) status = i + STATUS.length;
      else if (isAt(buf, i, SERVICE, end)) service = i + SERVICE.length;
    } else if (c === 0x63 && isAt(buf, i, CONNECT, end)) connect = i + CONNECT.length;
  }
  const code = status < 0 ? -1 : digitsAt(buf, status, end);
  if (code < 100 || code > 599 || (digitsEnd < end && buf[digitsEnd] !== 0x20)) return undefined;
  return { statusClass: Math.min(5, Math.max(2, Math.floor(code / 100))) as RouterSample['statusClass'], serviceMs: msAt(buf, connect, end) + msAt(buf, service, end) };
}

const PROTOCOL = Buffer.from(' protocol=');
const BYTES = Buffer.from(' bytes=');

/**
 * The sample of a line that ends as every access line is written (accessLine, nginx's slipway_line):
 * ` connect=<n>ms service=<n>ms status=<nnn> bytes=<n> protocol=<letters>`, read backwards from its
 * end (a third of the general reading's cost, bench/router); undefined when it ends otherwise. Only
 * digits, letters and these names are read, so no quote lies between them and the end: they are
 * the fields after the last quote, and the last of each, as the general reading takes them.
 */
function tailSample(buf: Buffer, start: number, end: number): RouterSample | undefined {
  let i = end;
  while (i > start && end - i <= 5 && buf[i - 1]! >= 0x61 && buf[i - 1]! <= 0x7a) i--;
  if (i === end || !endsWith(buf, start, i, PROTOCOL)) return undefined;
  i -= PROTOCOL.length;
  const bytesTo = i;
  i = digitsBack(buf, start, i);
  if (i === bytesTo || !endsWith(buf, start, i, BYTES)) return undefined;
  i -= BYTES.length;
  const statusTo = i;
  i = digitsBack(buf, start, i);
  if (statusTo - i !== 3 || !endsWith(buf, start, i, STATUS)) return undefined;
  const status = (buf[i]! - 0x30) * 100 + (buf[i + 1]! - 0x30) * 10 + buf[i + 2]! - 0x30;
  if (status < 100 || status > 599) return undefined;
  i -= STATUS.length;
  const service = msBack(buf, start, i, SERVICE);
  if (service < 0) return undefined;
  const connect = msBack(buf, start, msFrom, CONNECT);
  if (connect < 0) return undefined;
  return { statusClass: Math.min(5, Math.max(2, Math.floor(status / 100))) as RouterSample['statusClass'], serviceMs: connect + service };
}

/** Where the digits that end at `buf[to]` (after `start`) begin. */
function digitsBack(buf: Buffer, start: number, to: number): number {
  let i = to;
  while (i > start && buf[i - 1]! >= 0x30 && buf[i - 1]! <= 0x39) i--;
  return i;
}

/** Where msBack's field began (a variable, not an object per call). */
let msFrom = 0;
/** `<name><1-9 digits>ms` ending at `buf[to]`: the digits' value (msFrom: where `name` starts), or -1. */
function msBack(buf: Buffer, start: number, to: number, name: Buffer): number {
  if (to - start < 2 || buf[to - 1] !== 0x73 || buf[to - 2] !== 0x6d) return -1;
  const from = digitsBack(buf, start, to - 2);
  if (from === to - 2 || to - 2 - from > 9 || !endsWith(buf, start, from, name)) return -1;
  msFrom = from - name.length;
  return digitsAt(buf, from, to - 2);
}

/** Whether the bytes of `name` end at `buf[to]`, after `start`. */
function endsWith(buf: Buffer, start: number, to: number, name: Buffer): boolean {
  return to - name.length >= start && isAt(buf, to - name.length, name, to);
}

/** Whether the bytes of `name` are at `buf[i]`, before `end`. */
function isAt(buf: Buffer, i: number, name: Buffer, end: number): boolean {
  if (i + name.length > end) return false;
  for (let k = 0; k < name.length; k++) if (buf[i + k] !== name[k]) return false;
  return true;
}

/** Where the digits digitsAt read last end (a variable, not an object per call: this runs for every request). */
let digitsEnd = 0;
/** The whole number of up to 9 digits at `buf[at]` (before `end`), or -1 when there is none; digitsEnd after it. */
function digitsAt(buf: Buffer, at: number, end: number): number {
  let value = 0;
  let j = at;
  for (; j < end && j - at < 9 && buf[j]! >= 0x30 && buf[j]! <= 0x39; j++) value = value * 10 + buf[j]! - 0x30;
  digitsEnd = j;
  return j > at ? value : -1;
}

/** Digits at `at` followed by `ms` and a space or the end: those milliseconds, else 0 (also when `at` is -1: no such field). */
function msAt(buf: Buffer, at: number, end: number): number {
  if (at < 0) return 0;
  const v = digitsAt(buf, at, end);
  const d = digitsEnd;
  return v >= 0 && buf[d] === 0x6d && buf[d + 1] === 0x73 && (d + 2 === end || buf[d + 2] === 0x20) ? v : 0;
}

/** Heroku's dyno error codes in a dyno's log line (R14 memory quota exceeded, R15 vastly exceeded). */
export function dynoErrorCode(line: string): string | undefined {
  return /^Error (R1[45]) \(/.exec(line)?.[1];
}
