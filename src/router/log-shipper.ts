// Router log lines go back to the server in batches. While the server is away they wait in a
// bounded buffer: past its size the oldest lines are dropped, and the server is told how many.
// Every line of every request passes here (tens of thousands a second under load), so keeping one
// and dropping the oldest cost the same whatever the buffer holds: a queue with a moving head.
import type { RouterLogBatch } from './router-wire.js';

type Line = RouterLogBatch['lines'][number];

const BATCH = 5000;

export class LogShipper {
  private queue: Line[] = [];
  /** Index of the oldest line kept, and its number (lines are numbered as they come, from 0). */
  private head = 0;
  private headSeq = 0;
  private dropped = 0;
  private timer?: NodeJS.Timeout;
  private sending = false;
  private wait: number;

  constructor(private o: { maxLines: number; send(b: RouterLogBatch): Promise<void>; intervalMs?: number }) {
    this.wait = o.intervalMs ?? 250;
  }

  /** Keep a line for the app's log (`at`: when it happened, else now). */
  push(appId: string, line: string, at = new Date().toISOString()): void {
    this.queue.push({ app_id: appId, line, at });
    if (this.queue.length - this.head > this.o.maxLines) this.advance(1, true);
    this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, this.wait);
  }

  /** Lines waiting to be sent (and dropped ones). */
  pending(): { lines: number; dropped: number } { return { lines: this.queue.length - this.head, dropped: this.dropped }; }

  /** Send what waits, a batch at a time; on failure keep it and try again later (back-off up to 5 s). */
  async flush(): Promise<void> {
    if (this.sending) return;
    this.sending = true;
    try {
      while (this.queue.length > this.head) {
        const from = this.headSeq;
        const batch = this.queue.slice(this.head, this.head + BATCH);
        const dropped = this.dropped;
        try {
          await this.o.send({ lines: batch, dropped });
        } catch {
          this.wait = Math.min(5000, this.wait * 2);
          this.timer ??= setTimeout(() => { this.timer = undefined; void this.flush(); }, this.wait);
          return;
        }
        this.wait = this.o.intervalMs ?? 250;
        // Lines dropped while sending moved the head: what is left of the batch goes, not the next N.
        const sentTo = from + batch.length;
        if (sentTo > this.headSeq) this.advance(Math.min(sentTo - this.headSeq, this.queue.length - this.head), false);
        this.dropped -= dropped;
      }
    } finally { this.sending = false; }
  }

  close(): void { clearTimeout(this.timer); }

  /** The `n` oldest lines leave the buffer (`drop`: unsent, counted); the array is compacted once most of it is behind the head. */
  private advance(n: number, drop: boolean): void {
    this.head += n;
    this.headSeq += n;
    if (drop) this.dropped += n;
    if (this.head > BATCH && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }
}
