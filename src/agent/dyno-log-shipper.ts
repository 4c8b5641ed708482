// Dyno output on an agent goes to the apps' logs on the server in batches: every 500 ms, and back to
// back while more waits. Each line keeps the time the agent read it (a batch's arrival, or the
// server's return, is not the line's time). Up to MAX_LINES wait (the server is away, or dynos write
// faster than it takes them); past that the oldest are dropped, and each app's log says so where
// they were, as Logplex does: `heroku[logplex]: Error L10 (output buffer overflow): N messages
// dropped since TIME.`
import { AgentHttpError, type AgentClient } from './client.js';
import { overflowMessage } from '../logs/drains/drain-frame.js';

const MAX_LINES = 20_000;
const EVERY_MS = 500;
/** A batch's size at most, in lines and in bytes with each line's fields (the server takes a body of up to 4 MB). */
const BATCH_LINES = 5000;
const BATCH_BYTES = 1024 * 1024;

interface Line { app_id: string; source: string; line: string; at: string }

export class DynoLogShipper {
  /** The lines waiting are `lines[head…]`: dropping the oldest moves the head (a shift() of a long array copies the rest each time). */
  private lines: Line[] = [];
  private head = 0;
  /** Per app: lines dropped since the last batch taken, and the time of the first of them. */
  private drops = new Map<string, { count: number; since: string }>();
  private dropped = 0;
  private sending = Promise.resolve();
  private timer: NodeJS.Timeout;

  constructor(private client: Pick<AgentClient, 'dynoLogs'>, private log: (line: string) => void) {
    this.timer = setInterval(() => { void this.flush(); }, EVERY_MS);
  }

  push(appId: string, source: string, line: string): void {
    this.lines.push({ app_id: appId, source, line, at: new Date().toISOString() });
    if (this.waiting() > MAX_LINES) this.dropOldest();
  }

  /** Send what waits, a batch at a time until none is left; a failed batch is kept for the next try. */
  flush(): Promise<void> {
    this.sending = this.sending.then(async () => {
      while (this.waiting()) {
        const drops = this.drops;
        this.drops = new Map();
        const lines = this.take();
        const now = new Date().toISOString();
        const notes = [...drops].map(([app, d]) => ({ app_id: app, source: 'heroku[logplex]', line: overflowMessage(d.count, d.since), at: now }));
        try {
          await this.client.dynoLogs({ lines: [...notes, ...lines] });
        } catch (e) {
          // Refused (not a failure to reach the server): sending it again cannot help.
          if (e instanceof AgentHttpError && e.status < 500) { this.log(`dyno logs: the server refused ${lines.length} line(s): ${e.message}`); continue; }
          // Kept for the next try, the drops counted before any made meanwhile (they were earlier).
          for (const [app, d] of this.drops) { const before = drops.get(app); drops.set(app, before ? { count: before.count + d.count, since: before.since } : d); }
          this.drops = drops;
          this.lines = lines.concat(this.lines.slice(this.head));
          this.head = 0;
          if (this.waiting() > MAX_LINES) this.dropOldest();
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

  private waiting(): number { return this.lines.length - this.head; }

  /** The oldest lines waiting, up to a batch's size. */
  private take(): Line[] {
    let end = this.head;
    for (let bytes = 0; end < this.lines.length && end - this.head < BATCH_LINES; end++) {
      bytes += Buffer.byteLength(this.lines[end]!.line) + 100;
      if (end > this.head && bytes > BATCH_BYTES) break;
    }
    const batch = this.lines.slice(this.head, end);
    this.advance(end);
    return batch;
  }

  /** The oldest lines past MAX_LINES go, counted for their apps' logs and the agent's. */
  private dropOldest(): void {
    const end = this.lines.length - MAX_LINES;
    for (let i = this.head; i < end; i++) {
      const l = this.lines[i]!;
      const d = this.drops.get(l.app_id);
      if (d) d.count++; else this.drops.set(l.app_id, { count: 1, since: l.at });
      this.dropped++;
    }
    this.advance(end);
  }

  /** The head moves to `to`; the array is compacted once most of it is behind the head. */
  private advance(to: number): void {
    this.head = to;
    if (this.head > 1000 && this.head * 2 > this.lines.length) {
      this.lines = this.lines.slice(this.head);
      this.head = 0;
    }
  }
}
