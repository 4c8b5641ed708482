// The router's side of the agent protocol (docs/agent-protocol.md, "Routers"): the routing table
// as an NDJSON stream (a snapshot, then one line per app that changed), and what a router sends
// back (its log lines in batches; which table it serves and its requests in flight per dyno).
import type { WebTarget } from '../runtime/router.js';

/** Everything the router needs to route one app. */
export interface RouterApp {
  id: string;
  name: string;
  /** Custom domains (`domains:add`) that route to it. */
  hostnames: string[];
  /** The certificate (`certs:add`) each of those host names presents on the router's TLS port; a name without one gets no handshake. */
  certificates?: RouterCertificate[];
  maintenance: boolean;
  /** Internal routing (private spaces): not on the router at all. */
  internal: boolean;
  /** Its space's trusted IP ranges (null: not in a space). */
  trusted: string[] | null;
  /** Web dynos that are up, on any agent. */
  dynos: WebTarget[];
}

/** A custom domain's certificate: its chain and private key (PEM), `id` changing with either. */
export interface RouterCertificate { hostname: string; id: string; chain: string; key: string }

/** One line of the table stream; `version` grows with every change the server publishes. */
export type TableMessage =
  | { type: 'snapshot'; version: number; apps: RouterApp[] }
  | { type: 'app'; version: number; app: RouterApp }
  | { type: 'gone'; version: number; id: string }
  | { type: 'ping'; version: number };

/** What a router serves and has in flight; `seq` orders reports of one router process. */
export interface RouterState { instance: string; seq: number; version: number; in_flight: Record<string, number> }

/**
 * Router log lines (Heroku's format) for apps' logs, sent as text (`text/plain`): one wire line per
 * log line, `app id \t time \t line`, the time when the router wrote it as nginx's `$msec` (Unix
 * seconds with milliseconds: its time in the app's log, however late the batch arrives); the query's
 * `dropped` counts lines lost while the server was away. nginx writes nearly every line in this shape
 * itself (nginx-conf.ts), so the router passes it on as it was written.
 */
export const wireLine = (appId: string, line: string, msec = (Date.now() / 1000).toFixed(3)): string =>
  `${appId}\t${msec}\t${line.includes('\n') ? line.replaceAll('\n', '\\n') : line}\n`;

/** Limits on what one wire line may hold (longer ones are refused, the rest of the batch kept). */
const MAX_APP_ID = 64;
const MAX_LINE = 16_384;

/**
 * Each wire line of a batch, as bytes: its app id, its time (Unix milliseconds, NaN if it has none),
 * and where its line lies in `body` (`end`: its newline, or the body's end). Returns how many lines
 * were not wire lines or were too long (they are left out, the rest kept).
 */
export function eachWireLine(body: Buffer, f: (appId: string, at: number, start: number, end: number) => void): number {
  let bad = 0;
  // A batch's lines mostly share their app with the line before: its id is decoded once.
  let appFrom = -1;
  let appTo = -1;
  let appId = '';
  for (let from = 0; from < body.length;) {
    let end = body.indexOf(10, from);
    if (end < 0) end = body.length;
    // The two tabs are a few bytes in: looked for here (a native search's call costs more than these steps).
    const aMax = Math.min(end, from + MAX_APP_ID + 1);
    let a = from;
    while (a < aMax && body[a] !== 9) a++;
    let b = a + 1;
    if (a < aMax) while (b < end && body[b] !== 9) b++;
    if (a === from || a === aMax || b >= end || end - b - 1 > MAX_LINE) bad++;
    else {
      if (!sameBytes(body, appFrom, appTo, from, a)) { appId = body.toString('latin1', from, a); appFrom = from; appTo = a; }
      f(appId, wireMs(body, a + 1, b), b + 1, end);
    }
    from = end + 1;
  }
  return bad;
}

/** Whether `buf[x, xEnd)` and `buf[y, yEnd)` hold the same bytes (false when `x` is -1). */
function sameBytes(buf: Buffer, x: number, xEnd: number, y: number, yEnd: number): boolean {
  if (x < 0 || xEnd - x !== yEnd - y) return false;
  for (let k = 0; k < xEnd - x; k++) if (buf[x + k] !== buf[y + k]) return false;
  return true;
}

/** A batch's lines as strings (see eachWireLine), each time in ISO 8601. */
export function parseWireLines(text: string): { lines: Array<{ app_id: string; line: string; at?: string }>; bad: number } {
  const body = Buffer.from(text);
  const lines: Array<{ app_id: string; line: string; at?: string }> = [];
  const bad = eachWireLine(body, (app_id, at, start, end) => { lines.push({ app_id, line: body.toString('utf8', start, end), at: Number.isNaN(at) ? undefined : new Date(at).toISOString() }); });
  return { lines, bad };
}

/**
 * A wire line's time, `buf[from, to)`: Unix seconds (1-12 digits) with up to 3 digits of
 * milliseconds, as Unix milliseconds; NaN when it is not one. Read from the bytes, as every line
 * has one (a string and a Date per line were most of a batch's cost on the server).
 */
export function wireMs(buf: Buffer, from: number, to: number): number {
  let i = from;
  let secs = 0;
  while (i < to && i - from <= 12 && buf[i]! >= 48 && buf[i]! <= 57) secs = secs * 10 + buf[i++]! - 48;
  if (i === from || i - from > 12) return NaN;
  let ms = 0;
  if (i < to) {
    if (buf[i++] !== 46) return NaN;
    const digits = i;
    while (i < to && i - digits < 3 && buf[i]! >= 48 && buf[i]! <= 57) ms = ms * 10 + buf[i++]! - 48;
    if (i === digits || i !== to) return NaN;
    const k = i - digits;
    ms *= k === 1 ? 100 : k === 2 ? 10 : 1;
  }
  const t = secs * 1000 + ms;
  return t > 0 ? t : NaN;
}

/**
 * Lines a router dropped while the server was away, per app, sent with a batch of lines:
 * `app id=count@since` (since: when the first went, Unix milliseconds), comma-separated.
 */
export const DROPPED_APPS_HEADER = 'x-slipway-dropped-apps';
export const droppedAppsHeader = (drops: Array<{ appId: string; count: number; since: string }>): string =>
  drops.map((d) => `${d.appId}=${d.count}@${Date.parse(d.since)}`).join(',');
const DROP_ENTRY = /^([\w-]{1,64})=(\d{1,12})@(\d{1,15})$/;
/** The header's entries that read as such (others are left out); at most `max`. */
export function parseDroppedApps(header: string | undefined, max = 1000): Array<{ appId: string; count: number; since: number }> {
  const out: Array<{ appId: string; count: number; since: number }> = [];
  for (const e of (header ?? '').split(',')) {
    const m = DROP_ENTRY.exec(e.trim());
    if (m && Number(m[2]) > 0 && out.length < max) out.push({ appId: m[1]!, count: Number(m[2]), since: Number(m[3]) });
  }
  return out;
}

export const TABLE_PATH = '/agent/v1/router/table';
export const STATE_PATH = '/agent/v1/router/state';
export const LOGS_PATH = '/agent/v1/router/logs';
/** The server pings the stream this often; a router that hears nothing for 3 pings reconnects. */
export const PING_MS = 5000;

/** The messages that take `before` to `after` (apps keyed by id; a changed app is sent whole). */
export function tableChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, RouterApp>, version: number): TableMessage[] {
  const out: TableMessage[] = [];
  for (const [id, app] of after) if (before.get(id) !== JSON.stringify(app)) out.push({ type: 'app', version, app });
  for (const id of before.keys()) if (!after.has(id)) out.push({ type: 'gone', version, id });
  return out;
}
