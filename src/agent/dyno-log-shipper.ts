// Dyno output on an agent goes to the apps' logs on the server in batches: every 500 ms, and back to
// back while more waits. Each line keeps the time the agent read it (a batch's arrival, or the
// server's return, is not the line's time). Each app's lines wait in a queue of their own, in order;
// up to MAX_LINES wait in all (the server is away, or dynos write faster than it takes them). Past
// that the oldest lines of the app with the most waiting are dropped — one app's flood never drops
// another's lines — and that app's log says so where they were, as Logplex does:
// `heroku[logplex]: Error L10 (output buffer overflow): N messages dropped since TIME.` A batch the
// server refuses is said the same way: no line goes missing unsaid.
import { AgentHttpError, type AgentClient } from './client.js';
import { overflowMessage } from '../logs/drains/drain-frame.js';

const MAX_LINES = 20_000;
/** Dropping goes this far below MAX_LINES at once (a flood's every line does not look for the largest queue). */
const DROP_SLACK = 500;
const EVERY_MS = 500;
/** A batch's size at most, in lines and in bytes of its JSON (the server takes a body of up to 4 MB). */
const BATCH_LINES = 5000;
const BATCH_BYTES = 1024 * 1024;
/** A line's JSON besides its text: app id, source, time, field names. */
const LINE_FIELDS_BYTES = 100;
/** What JSON writes escaped (a control character takes 6 bytes: a dyno writing NUL bytes sends six times their size). */
// eslint-disable-next-line no-control-regex -- the control characters are what is looked for
const ESCAPED = /[\u0000-\u001f"\\]/;

interface Line { app_id: string; source: string; line: string; at: string }
/** An app's waiting lines are `lines[head…]` (dropping the oldest moves the head: a shift() copies the rest each time). */
interface Queue { lines: Line[]; head: number; drop?: Drop }
/** Lines an app's log lost since the last batch, and the time of the first of them. */
interface Drop { count: number; since: string }

/** The bytes `line` takes in a batch's JSON. */
export function lineJsonBytes(line: string): number {
  return (ESCAPED.test(line) ? Buffer.byteLength(JSON.stringify(line)) : Buffer.byteLength(line) + 2) + LINE_FIELDS_BYTES;
}

export class DynoLogShipper {
  /** Per app, in the order batches take them (an app taken from goes last: each gets its turn). */
  private queues = new Map<string, Queue>();
  private total = 0;
  private dropped = 0;
  private sending = Promise.resolve();
  private timer: NodeJS.Timeout;

  constructor(private client: Pick<AgentClient, 'dynoLogs'>, private log: (line: string) => void) {
    this.timer = setInterval(() => { void this.flush(); }, EVERY_MS);
  }

  push(appId: string, source: string, line: string): void {
    this.queueOf(appId).lines.push({ app_id: appId, source, line, at: new Date().toISOString() });
    if (++this.total > MAX_LINES) this.dropOldest();
  }

  /** Send what waits, a batch at a time until none is left; a failed batch is kept for the next try. */
  flush(): Promise<void> {
    this.sending = this.sending.then(async () => {
      // Lines waiting, or only the word that some were dropped (a batch refused with nothing after it).
      while (this.total || [...this.queues.values()].some((q) => q.drop)) {
        const { drops, lines } = this.take();
        const now = new Date().toISOString();
        const notes = [...drops].map(([app, d]) => ({ app_id: app, source: 'heroku[logplex]', line: overflowMessage(d.count, d.since), at: now }));
        try {
          await this.client.dynoLogs({ lines: [...notes, ...lines] });
        } catch (e) {
          // Refused (not a failure to reach the server): sending it again cannot help; each app's log says what went.
          if (e instanceof AgentHttpError && e.status < 500) {
            this.log(`dyno logs: the server refused ${lines.length} line(s): ${e.message}`);
            for (const l of lines) this.noteDropped(this.queueOf(l.app_id), l, 1);
            continue;
          }
          this.putBack(drops, lines);
          return;
        }
        if (this.dropped) { this.log(`dyno logs: ${this.dropped} line(s) were dropped (the server was away, or dynos wrote faster than it took them)`); this.dropped = 0; }
      }
    });
    return this.sending;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    // At most 2 s for the last batch; the bound itself must not keep a stopping agent's process alive after the batch went.
    await Promise.race([this.flush(), new Promise((r) => setTimeout(r, 2000).unref())]);
  }

  private queueOf(appId: string): Queue {
    let q = this.queues.get(appId);
    if (!q) this.queues.set(appId, q = { lines: [], head: 0 });
    return q;
  }

  /**
   * A batch: each app's dropped lines said first, then the apps' oldest lines in turn, up to a
   * batch's size (an app's lines stay in order; the apps taken from go to the back of the line).
   */
  private take(): { drops: Map<string, Drop>; lines: Line[] } {
    const drops = new Map<string, Drop>();
    const lines: Line[] = [];
    let bytes = 0;
    for (const [app, q] of [...this.queues]) {
      if (q.drop) { drops.set(app, q.drop); q.drop = undefined; }
      let end = q.head;
      while (end < q.lines.length && lines.length < BATCH_LINES) {
        const size = lineJsonBytes(q.lines[end]!.line);
        if (lines.length && bytes + size > BATCH_BYTES) break;
        bytes += size;
        lines.push(q.lines[end++]!);
      }
      const took = end > q.head;
      if (took) this.advance(q, end);
      // Taken from: to the back of the line; emptied: gone (an app whose dynos left keeps nothing here).
      if (took || q.head === q.lines.length) this.queues.delete(app);
      if (q.head < q.lines.length && !this.queues.has(app)) this.queues.set(app, q);
    }
    return { drops, lines };
  }

  /** A batch that did not reach the server goes back to the front of its apps' queues, its drop notes with it (they were earlier). */
  private putBack(drops: Map<string, Drop>, lines: Line[]): void {
    const byApp = new Map<string, Line[]>();
    for (const l of lines) { const mine = byApp.get(l.app_id); if (mine) mine.push(l); else byApp.set(l.app_id, [l]); }
    for (const [app, mine] of byApp) {
      const q = this.queueOf(app);
      q.lines = mine.concat(q.lines.slice(q.head));
      q.head = 0;
      this.total += mine.length;
    }
    for (const [app, d] of drops) {
      const q = this.queueOf(app);
      q.drop = q.drop ? { count: d.count + q.drop.count, since: d.since } : d;
    }
    if (this.total > MAX_LINES) this.dropOldest();
  }

  /** The oldest lines of the app with the most waiting go until DROP_SLACK under MAX_LINES, counted for its log and the agent's. */
  private dropOldest(): void {
    while (this.total > MAX_LINES - DROP_SLACK) {
      let largest: Queue | undefined;
      for (const q of this.queues.values()) if (!largest || q.lines.length - q.head > largest.lines.length - largest.head) largest = q;
      const waiting = largest!.lines.length - largest!.head;
      // The newest line is always kept.
      const n = Math.min(this.total - (MAX_LINES - DROP_SLACK), waiting - (waiting === this.total ? 1 : 0));
      if (n <= 0) return;
      this.noteDropped(largest!, largest!.lines[largest!.head]!, n);
      this.advance(largest!, largest!.head + n);
    }
  }

  private noteDropped(q: Queue, oldest: Line, n: number): void {
    q.drop = q.drop ? { count: q.drop.count + n, since: q.drop.since } : { count: n, since: oldest.at };
    this.dropped += n;
  }

  /** The queue's head moves to `to`; its array is compacted once most of it is behind the head. */
  private advance(q: Queue, to: number): void {
    this.total -= to - q.head;
    q.head = to;
    if (q.head > 1000 && q.head * 2 > q.lines.length) {
      q.lines = q.lines.slice(q.head);
      q.head = 0;
    }
  }
}
