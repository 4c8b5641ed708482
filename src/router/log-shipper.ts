// Router log lines go back to the server in batches. While the server is away they wait in a
// bounded buffer: past its size the oldest lines are dropped, and the server is told how many.
import type { RouterLogBatch } from './router-wire.js';

export class LogShipper {
  private lines: RouterLogBatch['lines'] = [];
  private dropped = 0;
  private timer?: NodeJS.Timeout;
  private sending = false;
  private wait: number;

  constructor(private o: { maxLines: number; send(b: RouterLogBatch): Promise<void>; intervalMs?: number }) {
    this.wait = o.intervalMs ?? 250;
  }

  /** Keep a line for the app's log. */
  push(appId: string, line: string): void {
    this.lines.push({ app_id: appId, line, at: new Date().toISOString() });
    if (this.lines.length > this.o.maxLines) { this.lines.splice(0, this.lines.length - this.o.maxLines); this.dropped++; }
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, this.wait);
  }

  /** Lines waiting to be sent (and dropped ones). */
  pending(): { lines: number; dropped: number } { return { lines: this.lines.length, dropped: this.dropped }; }

  /** Send what waits, a batch at a time; on failure keep it and try again later (back-off up to 5 s). */
  async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.lines.length) {
        const batch = this.lines.slice(0, 5000);
        const dropped = this.dropped;
        try {
          await this.o.send({ lines: batch, dropped });
        } catch {
          this.wait = Math.min(5000, this.wait * 2);
          this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, this.wait);
          return;
        }
        this.wait = this.o.intervalMs ?? 250;
        // Lines dropped while sending shifted the buffer: remove what was sent, not the first N.
        const sent = new Set(batch);
        this.lines = this.lines.filter((l) => !sent.has(l));
        this.dropped -= dropped;
      }
    } finally { this.sending = false; }
  }

  close(): void { clearTimeout(this.timer); }
}
