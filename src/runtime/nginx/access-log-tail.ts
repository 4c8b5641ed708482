// Follows nginx's buffered access log file (whole lines, written in 64 KB batches), a batch of
// lines at a time, and rotates it (rename, then nginx's USR1 reopen) before it grows large.
import fs from 'node:fs';

export class AccessLogTail {
  private fd?: number;
  private offset = 0;
  private rest = '';
  private timer?: NodeJS.Timeout;
  /** After a rotation: when the renamed file has had every worker's last batch. */
  private switchAt = 0;
  private readonly buf = Buffer.alloc(1 << 20);

  constructor(private file: string, private onLines: (lines: string[]) => void, private reopen: () => void, private maxBytes = 64 * 1024 * 1024) {}

  /** An empty file for nginx to open, read from the start every `everyMs`. */
  start(everyMs = 200): void {
    fs.writeFileSync(this.file, '', { mode: 0o644 });
    this.fd = fs.openSync(this.file, 'r');
    this.timer = setInterval(() => this.poll(), everyMs);
  }

  /** Read what nginx wrote since the last poll. */
  poll(): void {
    if (this.fd === undefined) return;
    const lines: string[] = [];
    for (;;) {
      const n = fs.readSync(this.fd, this.buf, 0, this.buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      const parts = (this.rest + this.buf.toString('utf8', 0, n)).split('\n');
      this.rest = parts.pop() ?? '';
      lines.push(...parts);
    }
    if (lines.length) this.onLines(lines);
    if (this.switchAt && Date.now() >= this.switchAt) {
      fs.closeSync(this.fd);
      fs.rmSync(`${this.file}.old`, { force: true });
      this.fd = fs.openSync(this.file, 'r');
      this.offset = 0;
      this.rest = '';
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
