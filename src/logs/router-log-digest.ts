// What a batch of router wire lines (router-wire.ts) becomes on the server, worked out away from
// the server's main thread (router-log-thread.ts): per app, its lines as the app's log writes them
// (`time heroku[router]: line`, the line's bytes as they came) and what its metrics count — each
// minute's requests by status class, response-time bins and error codes. Nothing here reads the
// store or the clock but `now`: which apps exist, and whether a minute is kept, the server decides.
import { eachWireLine } from '../router/router-wire.js';
import { routerSampleOf } from '../metrics/router-sample.js';
import { BIN_COUNT, binOf } from '../metrics/latency-bins.js';
import { lineTime } from '../releases/app-log.js';

/** One minute's router samples of an app (minute: Unix minutes of the lines' own time, -1 for lines without one). */
export interface MinuteCounts { minute: number; statuses: [number, number, number, number]; bins: number[]; codes: Record<string, number> }

/** An app's share of a batch: its lines for its log, ready to append (`log[start, end)`), and its minutes' counts. */
export interface AppDigest { appId: string; lines: number; start: number; end: number; minutes: MinuteCounts[] }

/** `log`: every app's lines, one after the other, in memory of its own (it moves between threads whole). */
export interface Digest { apps: AppDigest[]; bad: number; log: Uint8Array }

interface Gathering { appId: string; ats: Array<string | undefined>; starts: number[]; ends: number[]; minutes: Map<number, MinuteCounts> }

const minuteOfTime = (at: string | undefined): number => {
  const t = at ? Date.parse(at) : NaN;
  return Number.isFinite(t) ? Math.floor(t / 60_000) : -1;
};

/**
 * The digest of `body` (`source`: the log's source for these lines, `now`: this server's clock for
 * lineTime), its log written into `room` when that is large enough (a megabyte-sized buffer per batch
 * is garbage a heap is collected for: the caller hands the last one back).
 */
export function digestRouterLines(body: Buffer, source: string, now: number, room?: ArrayBuffer): Digest {
  const byApp = new Map<string, Gathering>();
  let lastAt: string | undefined;
  let lastMinute = -1;
  const bad = eachWireLine(body, (appId, at, start, end) => {
    let g = byApp.get(appId);
    if (!g) byApp.set(appId, g = { appId, ats: [], starts: [], ends: [], minutes: new Map() });
    g.ats.push(at);
    g.starts.push(start);
    g.ends.push(end);
    const s = routerSampleOf(body, start, end);
    if (!s) return;
    // A batch's lines mostly share their times: each is read once.
    if (at !== lastAt) { lastAt = at; lastMinute = minuteOfTime(at); }
    let m = g.minutes.get(lastMinute);
    if (!m) g.minutes.set(lastMinute, m = { minute: lastMinute, statuses: [0, 0, 0, 0], bins: new Array<number>(BIN_COUNT).fill(0), codes: {} });
    m.statuses[s.statusClass - 2]!++;
    m.bins[binOf(s.serviceMs)]!++;
    if (s.code) m.codes[s.code] = (m.codes[s.code] ?? 0) + 1;
  });
  const prefix = Buffer.from(` ${source}: `);
  const gs = [...byApp.values()];
  const times = gs.map((g) => timesOf(g, now));
  let size = 0;
  for (let k = 0; k < gs.length; k++) {
    const g = gs[k]!;
    for (let i = 0; i < g.starts.length; i++) size += times[k]![i]!.length + prefix.length + g.ends[i]! - g.starts[i]! + 1;
  }
  const out = Buffer.from(room && room.byteLength >= size ? room : new ArrayBuffer(Math.max(size, 64 * 1024)));
  let at = 0;
  const apps = gs.map((g, k): AppDigest => {
    const start = at;
    at = appLogLines(body, g, times[k]!, prefix, out, at);
    return { appId: g.appId, lines: g.starts.length, start, end: at, minutes: [...g.minutes.values()] };
  });
  return { apps, bad, log: out.subarray(0, at) };
}

/** Each line's time as its log writes it (each distinct time written out once). */
function timesOf(g: Gathering, now: number): Buffer[] {
  const times: Buffer[] = new Array<Buffer>(g.starts.length);
  for (let i = 0; i < g.starts.length; i++) times[i] = i > 0 && g.ats[i] === g.ats[i - 1] ? times[i - 1]! : Buffer.from(lineTime(g.ats[i], now));
  return times;
}

/** An app's lines in its log's format, written into `out` from `at`; where they end. */
function appLogLines(body: Buffer, g: Gathering, times: Buffer[], prefix: Buffer, out: Buffer, from: number): number {
  const n = g.starts.length;
  let at = from;
  for (let i = 0; i < n; i++) {
    // A typed array's own set for the few bytes of a prefix (Buffer.copy's call costs more than its copy).
    out.set(times[i]!, at);
    at += times[i]!.length;
    out.set(prefix, at);
    at += prefix.length;
    at += body.copy(out, at, g.starts[i], g.ends[i]);
    out[at++] = 0x0a;
  }
  return at;
}
