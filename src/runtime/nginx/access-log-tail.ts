// Follows nginx's buffered access log file (whole lines, written in 64 KB batches), a chunk of
// whole lines at a time (as bytes: most are passed on unread), and rotates it (rename, then nginx's
// USR1 reopen) before it grows large.
import fs from 'node:fs';

export class AccessLogTail {
  private fd?: number;
  private offset = 0;
  private timer?: NodeJS.Timeout;
  /** After a rotation: when the renamed file has had every worker's last batch. */
  private switchAt = 0;

  constructor(private file: string, private onChunk: (lines: Buffer) => void, private reopen: () => void, private maxBytes = 64 * 1024 * 1024) {}

  /** An empty file for nginx to open, read from the start every `everyMs`. */
  start(everyMs = 200): void {
    fs.writeFileSync(this.file, '', { mode: 0o644 });
    this.fd = fs.openSync(this.file, 'r');
    this.timer = setInterval(() => this.poll(), everyMs);
  }

  /**
   * Read what nginx wrote since the last poll: its whole lines, into a buffer of their own that is
   * handed on (up to 4 MiB a read; a line not yet whole is read again at the next poll).
   */
  poll(): void {
    if (this.fd === undefined) return;
    for (;;) {
      const size = fs.fstatSync(this.fd).size - this.offset;
      if (size <= 0) break;
      const buf = Buffer.allocUnsafe(Math.min(size, 4 << 20));
      const n = fs.readSync(this.fd, buf, 0, buf.length, this.offset);
      const end = n > 0 ? buf.lastIndexOf(10, n - 1) + 1 : 0;
      if (end === 0) break;
      this.offset += end;
      this.onChunk(buf.subarray(0, end));
    }
    if (this.switchAt && Date.now() >= this.switchAt) {
      fs.closeSync(this.fd);
      fs.rmSync(`${this.file}.old`, { force: true });
      this.fd = fs.openSync(this.file, 'r');
      this.offset = 0;
      this.switchAt = 0;
    } else if (!this.switchAt && this.offset > this.maxBytes) {
      fs.renameSync(this.file, `${this.file}.old`);
      this.reopen();
      this.switchAt = Date.now() + 2000;
    }
  }

  stop(): void {
    clearInterval(this.timer);
    this.poll();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
