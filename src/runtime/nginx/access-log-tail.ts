// Follows nginx's buffered access log file (whole lines, written in 64 KB batches), a chunk of
// whole lines at a time (as bytes: most are passed on unread), and rotates it (rename, then nginx's
// USR1 reopen) before it grows large. While a rotated file may still get a worker's last batch, both
// files are read: the new one from the moment nginx makes it, so nothing piles up behind the switch.
import fs from 'node:fs';

/** A file being read, how far, and (a rotated one) until when. */
interface Reading { fd: number; offset: number; until?: number }

/** At most this much is read at a time (a poll reads until it has caught up). */
const READ_MAX = 4 << 20;

export class AccessLogTail {
  private cur?: Reading;
  private old?: Reading;
  private timer?: NodeJS.Timeout;

  constructor(private file: string, private onChunk: (lines: Buffer) => void, private reopen: () => void, private maxBytes = 64 * 1024 * 1024) {}

  /** An empty file for nginx to open, read from the start every `everyMs`. */
  start(everyMs = 200): void {
    fs.writeFileSync(this.file, '', { mode: 0o644 });
    this.cur = { fd: fs.openSync(this.file, 'r'), offset: 0 };
    this.timer = setInterval(() => this.poll(), everyMs);
  }

  /**
   * Read what nginx wrote since the last poll: whole lines, into a buffer of their own that is
   * handed on (a line not yet whole is read again at the next poll).
   */
  poll(): void {
    if (!this.cur && this.old) {
      // nginx makes the new file as it reopens its logs.
      try { this.cur = { fd: fs.openSync(this.file, 'r'), offset: 0 }; } catch { /* not yet */ }
    }
    if (this.old) {
      // A worker's last batch to the rotated file comes within a moment of the reopen; read it till
      // then, and until nginx has made the new file (its workers write to the old one till they reopen).
      while (this.read(this.old));
      if (this.cur && Date.now() >= this.old.until!) {
        fs.closeSync(this.old.fd);
        fs.rmSync(`${this.file}.old`, { force: true });
        this.old = undefined;
      }
    }
    if (!this.cur) return;
    while (this.read(this.cur));
    if (!this.old && this.cur.offset > this.maxBytes) {
      fs.renameSync(this.file, `${this.file}.old`);
      this.old = { ...this.cur, until: Date.now() + 2000 };
      this.cur = undefined;
      this.reopen();
    }
  }

  /** Hand on the whole lines `r` has past its offset (up to READ_MAX); whether there were any. */
  private read(r: Reading): boolean {
    const size = fs.fstatSync(r.fd).size - r.offset;
    if (size <= 0) return false;
    const buf = Buffer.allocUnsafe(Math.min(size, READ_MAX));
    const n = fs.readSync(r.fd, buf, 0, buf.length, r.offset);
    const end = n > 0 ? buf.lastIndexOf(10, n - 1) + 1 : 0;
    if (end === 0) return false;
    r.offset += end;
    this.onChunk(buf.subarray(0, end));
    return true;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    for (const r of [this.old, this.cur]) {
      if (!r) continue;
      while (this.read(r));
      fs.closeSync(r.fd);
    }
    this.old = this.cur = undefined;
  }
}
