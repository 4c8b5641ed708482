// Router log lines go back to the server in batches, as wire lines (router-wire.ts). While the
// server is away they wait in a bounded buffer. nginx's lines come as whole chunks of its log,
// passed on as they were read (tens of thousands of lines a second under load: nothing here looks
// at a line of them while there is room); the Node router's come one at a time. Keeping a chunk
// costs the same whatever the buffer holds: a queue with a moving head. Past the bound, the app
// that holds the most lines loses its oldest (a chunk's apps are read then, once), so one app's
// flood cannot push out another's lines; the lines dropped are counted per app, so each app's log
// can say how many of its own went and since when, as Logplex's L10 does.
import { eachWireLine, wireLine } from './router-wire.js';

/**
 * Wire lines, whole (each ends with a newline), and how many; `appId`: the app of a single line's
 * piece; `apps`: a chunk's lines per app, once read (only when the buffer is full).
 */
interface Piece { data: Buffer | string; lines: number; appId?: string; apps?: Map<string, number> }

/** Lines of one app dropped: how many, and when the first of them went (ISO 8601). */
export interface AppDrops { appId: string; count: number; since: string }

/**
 * A batch says this many apps' drops at most (the others are said with the next one): their header
 * stays under 10 KiB however long the ids, within the 16 KiB of headers a Node server takes (a
 * batch refused for its header would be refused again and again).
 */
const DROP_APPS_PER_BATCH = 100;

/** A full buffer makes this much room at a time (a twentieth of it, at least a line): the apps' counts are not read again for each new line. */
const roomOf = (maxLines: number) => Math.max(1, Math.floor(maxLines / 20));

/** A batch's size at most (a piece larger than this goes alone). */
const BATCH_BYTES = 1 << 20;

/** A batch: its wire lines in parts, as kept (not copied into one buffer), and how many lines were dropped before it. */
export interface LogBatchText { parts: Array<Buffer | string>; dropped: number; droppedApps: AppDrops[] }

/** The pieces' data, runs of single lines joined into one string (the Node router's come a line at a time). */
function joined(pieces: Piece[]): Array<Buffer | string> {
  const parts: Array<Buffer | string> = [];
  let run: string[] = [];
  for (const p of pieces) {
    if (typeof p.data === 'string') { run.push(p.data); continue; }
    if (run.length) { parts.push(run.join('')); run = []; }
    parts.push(p.data);
  }
  if (run.length) parts.push(run.join(''));
  return parts;
}

export class LogShipper {
  private queue: Piece[] = [];
  /** Index of the oldest piece kept, and its number (pieces are numbered as they come, from 0). */
  private head = 0;
  private headSeq = 0;
  private lines = 0;
  private dropped = 0;
  private droppedApps = new Map<string, { count: number; since: string }>();
  private timer?: NodeJS.Timeout;
  private sending = false;
  private wait: number;

  constructor(private o: { maxLines: number; send(b: LogBatchText): Promise<void>; intervalMs?: number }) {
    this.wait = o.intervalMs ?? 250;
  }

  /** Keep a line for the app's log (`msec`: when it happened, Unix seconds with milliseconds; else now). */
  push(appId: string, line: string, msec?: string): void { this.add({ data: wireLine(appId, line, msec), lines: 1, appId }); }

  /** Keep `lines` wire lines, as written (`data` is kept: the caller gives it up). */
  pushWire(data: Buffer, lines: number): void { if (lines > 0) this.add({ data, lines }); }

  /** Lines waiting to be sent (and dropped ones). */
  pending(): { lines: number; dropped: number } { return { lines: this.lines, dropped: this.dropped }; }

  /** Send what waits, a batch at a time; on failure keep it and try again later (back-off up to 5 s). */
  async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > this.head) {
        const from = this.headSeq;
        let end = this.head;
        let bytes = 0;
        while (end < this.queue.length && (end === this.head || bytes + this.queue[end]!.data.length <= BATCH_BYTES)) bytes += this.queue[end++]!.data.length;
        const pieces = this.queue.slice(this.head, end);
        const dropped = this.dropped;
        const droppedApps = [...this.droppedApps].slice(0, DROP_APPS_PER_BATCH).map(([appId, d]) => ({ appId, ...d }));
        try {
          await this.o.send({ parts: joined(pieces), dropped, droppedApps });
        } catch {
          this.wait = Math.min(5000, this.wait * 2);
          this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, this.wait);
          return;
        }
        this.wait = this.o.intervalMs ?? 250;
        // Pieces dropped while sending moved the head: what is left of the batch goes, not the next ones.
        const sentTo = from + pieces.length;
        if (sentTo > this.headSeq) this.advance(Math.min(sentTo - this.headSeq, this.queue.length - this.head), false);
        this.dropped -= dropped;
        for (const d of droppedApps) {
          const left = this.droppedApps.get(d.appId)!;
          left.count -= d.count;
          if (left.count <= 0) this.droppedApps.delete(d.appId);
        }
      }
    } finally { this.sending = false; }
  }

  close(): void { clearTimeout(this.timer); }

  /** Lines dropped per app (pending() counts them all). */
  droppedByApp(): AppDrops[] { return [...this.droppedApps].map(([appId, d]) => ({ appId, ...d })); }

  private countDropped(p: Piece): void {
    for (const [appId, n] of this.appsOf(p)) if (n > 0) this.droppedOf(appId, n);
  }

  private droppedOf(appId: string, n: number): void {
    const d = this.droppedApps.get(appId);
    if (d) d.count += n; else this.droppedApps.set(appId, { count: n, since: new Date().toISOString() });
  }

  /** A piece's lines per app (a chunk's read once, then kept with it). */
  private appsOf(p: Piece): Map<string, number> {
    if (p.appId !== undefined) return new Map([[p.appId, p.lines]]);
    if (!p.apps) {
      const apps = new Map<string, number>();
      eachWireLine(typeof p.data === 'string' ? Buffer.from(p.data) : p.data, (appId) => { apps.set(appId, (apps.get(appId) ?? 0) + 1); });
      p.apps = apps;
    }
    return p.apps;
  }

  private add(p: Piece): void {
    this.queue.push(p);
    this.lines += p.lines;
    if (this.lines > this.o.maxLines) this.makeRoom();
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, this.wait);
  }

  /**
   * A full buffer: lines go from the app that holds the most of them, its oldest first, until there
   * is room for a while, so that one app's flood cannot push another app's lines out (the newest
   * piece is kept). Lines no app's count holds (not wire lines) go with the oldest pieces, as before.
   */
  private makeRoom(): void {
    const target = Math.max(0, this.o.maxLines - roomOf(this.o.maxLines));
    const last = this.queue.length - 1;
    const linesOf = (p: Piece, app: string) => (p.appId !== undefined ? (p.appId === app ? p.lines : 0) : this.appsOf(p).get(app) ?? 0);
    const totals = new Map<string, number>();
    for (let i = this.head; i < last; i++) {
      const p = this.queue[i]!;
      if (p.appId !== undefined) { if (p.lines) totals.set(p.appId, (totals.get(p.appId) ?? 0) + p.lines); } else for (const [a, n] of this.appsOf(p)) totals.set(a, (totals.get(a) ?? 0) + n);
    }
    // Where each app's oldest lines are looked for next (those before are gone).
    const next = new Map<string, number>();
    while (this.lines > target) {
      let top: string | undefined;
      let most = 0;
      for (const [a, n] of totals) if (n > most) { most = n; top = a; }
      if (top === undefined) break;
      // Its oldest piece that holds any of its lines gives them all up.
      let i = next.get(top) ?? this.head;
      let n = 0;
      for (; i < last && !(n = linesOf(this.queue[i]!, top)); i++);
      next.set(top, i + 1);
      if (!n) { totals.delete(top); continue; }
      this.without(this.queue[i]!, top, n);
      this.lines -= n;
      this.dropped += n;
      this.droppedOf(top, n);
      totals.set(top, most - n);
    }
    while (this.lines > this.o.maxLines && this.queue.length - this.head > 1) this.advance(1, true);
  }

  /** `p` without its `n` lines of app `appId`. */
  private without(p: Piece, appId: string, n: number): void {
    p.lines -= n;
    p.apps?.delete(appId);
    if (p.appId !== undefined || p.lines === 0) { p.data = ''; return; }
    const data = p.data as Buffer;
    const kept: Buffer[] = [];
    eachWireLine(data, (lineApp, _at, _start, end) => { if (lineApp !== appId) kept.push(data.subarray(lineStart(data, end), Math.min(end + 1, data.length))); });
    p.data = Buffer.concat(kept);
  }

  /** The `n` oldest pieces leave the buffer (`drop`: unsent, their lines counted); the array is compacted once most of it is behind the head. */
  private advance(n: number, drop: boolean): void {
    for (let i = this.head; i < this.head + n; i++) {
      const p = this.queue[i]!;
      this.lines -= p.lines;
      if (drop) {
        this.dropped += p.lines;
        this.countDropped(p);
      }
    }
    this.head += n;
    this.headSeq += n;
    if (this.head > 1000 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}

/** Where the line that ends at `end` (its newline, or the data's end) begins. */
function lineStart(data: Buffer, end: number): number {
  return end > 0 ? data.lastIndexOf(10, end - 1) + 1 : 0;
}
