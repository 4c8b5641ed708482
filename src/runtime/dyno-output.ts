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

export interface TailEvents {
  line(l: string): void;
  dropped(bytes: number): void;
  /** How far it has read (recorded, so the next process of the agent starts there). */
  onOffset(offset: number): void;
  /** A read failed (said once until reads work again); the tail reopens the file by its path, or ends when it is gone. */
  failed(message: string): void;
}

export class OutputTail {
  private rest = '';
  private timer?: NodeJS.Timeout;
  /** Undefined once closed: a closed tail never touches a descriptor again (its number may be another file's by then). */
  private fd?: number;
  private failing = false;

  constructor(private file: string, private offset: number, private o: TailEvents) {
    try { this.fd = fs.openSync(file, 'r+'); } catch (e) { o.failed(`its output is not read (${errorCode(e)})`); return; }
    // The timer is the only caller nothing else catches for: an error ends this tail's reads, never the agent process.
    this.timer = setInterval(() => this.tick(), EVERY_MS);
  }

  private tick(): void {
    try {
      this.read();
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.o.failed(`reading its output: ${errorCode(e)}`);
      this.failing = true;
      this.reopen();
    }
  }

  /** The file again by its path (the agent's own, in its 0700 folder); a file that is gone ends the tail. */
  private reopen(): void {
    if (this.fd === undefined) return;
    const old = this.fd;
    try { this.fd = fs.openSync(this.file, 'r+'); } catch (e) {
      this.o.failed(`its output is no longer read (${errorCode(e)})`);
      clearInterval(this.timer);
      this.fd = undefined;
      return;
    }
    // The old number is closed only if it is still this file (it may have been closed under us and reused).
    try { if (old !== this.fd && sameFile(old, this.fd)) fs.closeSync(old); } catch { /* already closed */ }
  }

  /** Read what the dyno wrote since the last read. */
  read(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    const size = fs.fstatSync(fd).size;
    const { from, dropped } = readFrom(size, this.offset);
    if (dropped) { this.rest = ''; this.o.dropped(dropped); }
    const before = this.offset;
    this.offset = from;
    const buf = Buffer.alloc(64 * 1024);
    while (this.offset < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      const lines = (this.rest + buf.subarray(0, n).toString()).split('\n');
      this.rest = lines.pop() ?? '';
      if (this.rest.length > MAX_LINE) { lines.push(this.rest); this.rest = ''; }
      for (const l of lines) this.o.line(l);
    }
    // All read and large: emptied, unless the dyno wrote meanwhile (then next time).
    if (this.offset >= TRUNCATE_BYTES && fs.fstatSync(fd).size === this.offset) { fs.ftruncateSync(fd, 0); this.offset = 0; }
    if (this.offset !== before) this.o.onOffset(this.offset);
  }

  get closed(): boolean { return this.fd === undefined; }

  /**
   * A last read, then no more: the dyno ended (`ended`: a last line without its newline is sent), or
   * this agent process hands it over (that line is left for the next reader). Once only: a second
   * call does nothing (closing the number again would close whatever file was given it since).
   */
  close(ended: boolean): void {
    clearInterval(this.timer);
    if (this.fd === undefined) return;
    try { this.read(); } catch { /* the file is gone */ }
    if (ended && this.rest) this.o.line(this.rest);
    else if (this.rest) this.o.onOffset(this.offset - Buffer.byteLength(this.rest));
    this.rest = '';
    const fd = this.fd;
    this.fd = undefined;
    try { fs.closeSync(fd); } catch { /* closed */ }
  }
}

/** Whether two descriptors are open on the same file. */
function sameFile(a: number, b: number): boolean {
  const x = fs.fstatSync(a);
  const y = fs.fstatSync(b);
  return x.dev === y.dev && x.ino === y.ino;
}

/** An error's code (EBADF, ENOENT): the app's log never shows the agent's paths. */
const errorCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
