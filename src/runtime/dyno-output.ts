// A dyno's output, written by the dyno to a file of the agent's (not a pipe: it must not die or
// block when the agent process is replaced), read from where the last reader stopped and sent to
// the app's log line by line. Bounded: once everything is read the file is emptied when it passed
// TRUNCATE_BYTES; when more than MAX_UNREAD_BYTES wait (no agent read for a long while) the oldest
// are skipped and said in the log, as Heroku's Logplex says L10 when a drain falls behind.
import fs from 'node:fs';

/** Emptied once read past this size (the dyno appends: its next write starts the file again). */
export const TRUNCATE_BYTES = 1024 * 1024;
/** The most a new reader sends of what waited; older output is dropped. */
export const MAX_UNREAD_BYTES = 8 * 1024 * 1024;
const EVERY_MS = 200;
/** Longest line kept whole; longer ones are cut (as a pipe reader's chunks would split them). */
const MAX_LINE = 64 * 1024;

/** Where to start reading: from `offset`, or past the oldest when more than `max` bytes wait (undefined: nothing dropped). */
export function readFrom(size: number, offset: number, max = MAX_UNREAD_BYTES): { from: number; dropped: number } {
  if (offset > size) return { from: 0, dropped: 0 };
  return size - offset > max ? { from: size - max, dropped: size - max - offset } : { from: offset, dropped: 0 };
}

export class OutputTail {
  private rest = '';
  private timer: NodeJS.Timeout;
  private fd: number;

  /** `onOffset`: how far it has read (recorded, so the next process of the agent starts there). */
  constructor(private file: string, private offset: number, private o: { line(l: string): void; dropped(bytes: number): void; onOffset(offset: number): void }) {
    this.fd = fs.openSync(file, 'r+');
    this.timer = setInterval(() => this.read(), EVERY_MS);
  }

  /** Read what the dyno wrote since the last read. */
  read(): void {
    const size = fs.fstatSync(this.fd).size;
    const { from, dropped } = readFrom(size, this.offset);
    if (dropped) { this.rest = ''; this.o.dropped(dropped); }
    const before = this.offset;
    this.offset = from;
    const buf = Buffer.alloc(64 * 1024);
    while (this.offset < size) {
      const n = fs.readSync(this.fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      const lines = (this.rest + buf.subarray(0, n).toString()).split('\n');
      this.rest = lines.pop() ?? '';
      if (this.rest.length > MAX_LINE) { lines.push(this.rest); this.rest = ''; }
      for (const l of lines) this.o.line(l);
    }
    // All read and large: emptied, unless the dyno wrote meanwhile (then next time).
    if (this.offset >= TRUNCATE_BYTES && fs.fstatSync(this.fd).size === this.offset) { fs.ftruncateSync(this.fd, 0); this.offset = 0; }
    if (this.offset !== before) this.o.onOffset(this.offset);
  }

  /** A last read, then no more: the dyno ended (`ended`: a last line without its newline is sent), or this agent process hands it over (that line is left for the next reader). */
  close(ended: boolean): void {
    clearInterval(this.timer);
    try { this.read(); } catch { /* the file is gone */ }
    if (ended && this.rest) this.o.line(this.rest);
    else if (this.rest) this.o.onOffset(this.offset - Buffer.byteLength(this.rest));
    this.rest = '';
    try { fs.closeSync(this.fd); } catch { /* closed */ }
  }
}
