// A dyno's output, written by the dyno to a file of the agent's (not a pipe: it must not die or
// block when the agent process is replaced), read from where the last reader stopped and sent to
// the app's log line by line. Bounded: the bytes read are given back to the disk (a hole punched
// over them, punch-hole.ts) every FREE_BYTES, the file's size and offsets unchanged; when more than
// MAX_UNREAD_BYTES wait (no agent read for a long while) the oldest are skipped and said in the
// log, as Heroku's Logplex says L10 when a drain falls behind.
import fs from 'node:fs';
import { punchHole } from '../sandbox/punch-hole.js';

/** The bytes read are given back to the disk once this many are (the file's size goes on growing, its blocks do not). */
export const FREE_BYTES = 1024 * 1024;
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
  /** The bytes of a line not ended yet: kept as bytes, so a character split between two reads is decoded whole. */
  private rest = Buffer.alloc(0);
  private timer?: NodeJS.Timeout;
  /** Undefined once closed: a closed tail never touches a descriptor again (its number may be another file's by then). */
  private fd?: number;
  private failing = false;
  /** The bytes before this were given back to the disk (or are being: `freeing`). */
  private freedTo = 0;
  private freeing = false;
  /** Set when the filesystem cannot punch holes: the file is emptied instead, once all is read (a write racing the cut is lost). */
  private truncate = false;

  /**
   * `keep`: the file's bytes are never given back (a one-off's output: a new agent process reads it
   * again from the last offset the server recorded). `free`: how read bytes are given back (tests).
   */
  constructor(private file: string, private offset: number, private o: TailEvents, private opts: { keep?: boolean; free?: typeof punchHole } = {}) {
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
    if (dropped) { this.rest = Buffer.alloc(0); this.o.dropped(dropped); }
    const before = this.offset;
    this.offset = from;
    const buf = Buffer.alloc(64 * 1024);
    while (this.offset < size) {
      const n = fs.readSync(fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
      if (n <= 0) break;
      this.offset += n;
      for (const l of this.lines(buf.subarray(0, n))) this.o.line(l);
    }
    if (this.offset < this.freedTo) this.freedTo = 0; // emptied by a new process of the dyno
    if (!this.opts.keep) this.giveBack(fd);
    if (this.offset !== before) this.o.onOffset(this.offset);
  }

  /** The bytes read, past FREE_BYTES of them, back to the disk: a hole punched over them (in the background), else the file emptied once all is read. */
  private giveBack(fd: number): void {
    if (this.freeing || this.offset - this.freedTo < FREE_BYTES) return;
    if (this.truncate) {
      // All read and large: emptied, unless the dyno wrote meanwhile (then next time).
      if (fs.fstatSync(fd).size === this.offset) { fs.ftruncateSync(fd, 0); this.offset = 0; this.freedTo = 0; }
      return;
    }
    const to = this.offset;
    this.freeing = true;
    (this.opts.free ?? punchHole)(this.file, this.freedTo, to).then(() => { this.freedTo = Math.max(this.freedTo, to); }, (e: Error) => {
      this.o.failed(`its output file's read bytes cannot be given back to the disk (${e.message}); it is emptied once read instead`);
      this.truncate = true;
    }).finally(() => { this.freeing = false; });
  }

  /** The whole lines that `chunk` ends (a newline byte is never inside a UTF-8 character); a line past MAX_LINE is cut at a character's start. */
  private lines(chunk: Buffer): string[] {
    let bytes = Buffer.concat([this.rest, chunk]);
    const out: string[] = [];
    for (let nl = bytes.indexOf(10); nl >= 0; nl = bytes.indexOf(10)) {
      const { pieces, tail } = cutLong(bytes.subarray(0, nl));
      out.push(...pieces, tail.toString());
      bytes = bytes.subarray(nl + 1);
    }
    // An unfinished line: what passed MAX_LINE goes now, the rest waits for its end.
    const { pieces, tail } = cutLong(bytes);
    this.rest = Buffer.from(tail);
    return out.concat(pieces);
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
    if (ended && this.rest.length) this.o.line(this.rest.toString());
    else if (this.rest.length) this.o.onOffset(this.offset - this.rest.length);
    this.rest = Buffer.alloc(0);
    const fd = this.fd;
    this.fd = undefined;
    try { fs.closeSync(fd); } catch { /* closed */ }
  }
}

/** A line's leading pieces of at most MAX_LINE bytes, each cut at a character's start, and what is left (at most MAX_LINE). */
function cutLong(line: Buffer): { pieces: string[]; tail: Buffer } {
  const pieces: string[] = [];
  let tail = line;
  while (tail.length > MAX_LINE) {
    let at = MAX_LINE;
    while (at > MAX_LINE - 4 && (tail[at]! & 0xc0) === 0x80) at--;
    pieces.push(tail.subarray(0, at).toString());
    tail = tail.subarray(at);
  }
  return { pieces, tail };
}

/** Whether two descriptors are open on the same file. */
function sameFile(a: number, b: number): boolean {
  const x = fs.fstatSync(a);
  const y = fs.fstatSync(b);
  return x.dev === y.dev && x.ino === y.ino;
}

/** An error's code (EBADF, ENOENT): the app's log never shows the agent's paths. */
const errorCode = (e: unknown): string => (e as NodeJS.ErrnoException).code ?? (e as Error).message;
