// What a drain has not delivered yet, bounded: past the bound the oldest lines are dropped and
// counted, and the next delivery starts with logplex's L10 line saying how many.
import { overflowLine } from './drain-frame.js';

export interface DrainBatch { lines: string[]; kept: string[]; dropped: number; since: string }

export class DrainQueue {
  private lines: string[] = [];
  private dropped = 0;
  private since = '';
  constructor(private readonly max: number) {}

  get length(): number { return this.lines.length; }

  push(line: string): void {
    this.lines.push(line);
    this.trim();
  }

  /** Take up to `n` lines to send (the L10 line first after an overflow). */
  take(n: number): DrainBatch {
    const kept = this.lines.splice(0, n);
    const batch = { lines: this.dropped ? [overflowLine(this.dropped, this.since), ...kept] : kept, kept, dropped: this.dropped, since: this.since };
    this.dropped = 0;
    return batch;
  }

  /** A batch that could not be delivered goes back in front, within the bound. */
  giveBack(batch: DrainBatch): void {
    this.lines.unshift(...batch.kept);
    // The batch's drops happened first, so the count runs from its time.
    if (batch.dropped) { this.since = batch.since; this.dropped += batch.dropped; }
    this.trim();
  }

  private trim(): void {
    const over = this.lines.length - this.max;
    if (over <= 0) return;
    this.lines.splice(0, over);
    if (this.dropped === 0) this.since = new Date().toISOString();
    this.dropped += over;
  }
}
