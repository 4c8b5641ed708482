// Output of every step, stored in a file per stream and followed live by any number of readers.
import fs from 'node:fs';
import path from 'node:path';
import type { LogChunkKind } from '../store/schema.js';

interface Live {
  /** Bytes readable: the previous segment's and the file's. */ size: number; closed: boolean; wake: Set<() => void>;
  /** Bytes of the previous segment (see rotate). */ previous: number;
  /** Bytes dropped from the front by rotations so far: readers shift their offsets by the change. */ shifted: number;
  /** Kept open while the stream is live: an open/close per line is measurable on busy app logs. */ fd?: number;
}

/** Where finished streams are kept for other replicas (the blob store); live tails stay on the replica writing them. */
export interface LogArchive {
  /** Keep the finished stream `key` (its file). */
  save(key: string, file: string): Promise<void>;
  /** Put archived stream `key` into `file`; false when there is none. */
  restore(key: string, file: string): Promise<boolean>;
}

/** Where a replica sends what it writes when the store is shared by replicas (src/logs/shared-log.ts). */
export interface LogShare {
  push(key: string, kind: LogChunkKind, data?: Buffer): void;
  /** A stream every replica writes (an app's log): its text reaches each replica's file only from the store, in the store's order. */
  storeOnly(key: string): boolean;
  /** Resolves once this replica's writes to `key` are in the store and the store's rows are in its file. */
  settled(key: string): Promise<void>;
}

/** lastLines reads this much at a time from a log's end. */
const LAST_LINES_CHUNK = 64 * 1024;

export class LogBook {
  private live = new Map<string, Live>();
  private saving = new Map<string, Promise<void>>();
  private share?: LogShare;
  constructor(private dir: string, private archive?: LogArchive, private onArchiveError?: (e: Error) => void) { fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); }

  /** From now on every write is also sent to the replicas' shared store (Postgres). */
  shareWith(share: LogShare): void { this.share = share; }

  /** Resolves once this replica's file of `key` holds what every replica wrote to it so far (at once without a shared store). */
  async settled(key: string): Promise<void> { await this.share?.settled(key); }

  /** A change another replica (or, for store-only streams, this one) wrote, read back from the shared store. */
  applyShared(key: string, kind: LogChunkKind, data?: Buffer): void {
    if (kind === 'open') this.openLocal(key);
    else if (kind === 'ensure') this.ensureOpenLocal(key);
    else if (kind === 'close') this.closeLocal(key);
    else if (data?.length) { this.ensureOpenLocal(key); this.appendLocal(key, data); }
  }

  private file(key: string): string {
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(key) || key.split('/').some((p) => p === '.' || p === '..')) throw new Error(`bad log key ${key}`);
    return path.join(this.dir, key + '.log');
  }

  /** The segment a rotation set aside (no key's own file ends in `.1`). */
  private previousFile(key: string): string { return `${this.file(key)}.1`; }

  /** Start (or restart, truncating) a stream that readers can follow until `close`. */
  open(key: string): void {
    this.openLocal(key);
    this.share?.push(key, 'open');
  }

  private openLocal(key: string): void {
    const f = this.file(key);
    fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    fs.writeFileSync(f, '', { mode: 0o600 });
    fs.rmSync(this.previousFile(key), { force: true });
    this.release(key);
    this.live.set(key, { size: 0, previous: 0, closed: false, wake: new Set(), shifted: 0 });
  }

  /** Open unless it is already being written (a step that continues a stream another step began). */
  ensureOpen(key: string): void {
    if (this.live.has(key)) return;
    this.ensureOpenLocal(key);
    this.share?.push(key, 'ensure');
  }

  private ensureOpenLocal(key: string): void {
    if (this.live.has(key)) return;
    const f = this.file(key);
    fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    const previous = fileSize(this.previousFile(key));
    this.live.set(key, { size: previous + fileSize(f), previous, closed: false, wake: new Set(), shifted: 0 });
  }

  /** Write `chunk` at the stream's end; `reused`: the caller writes other bytes into that buffer afterwards (it is copied where it is kept). */
  append(key: string, chunk: Buffer | string, reused = false): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    const kept = () => (reused ? Buffer.from(buf) : buf);
    if (this.share?.storeOnly(key)) { this.share.push(key, 'data', kept()); return; }
    if (!this.live.has(key)) this.open(key);
    this.appendLocal(key, buf);
    this.share?.push(key, 'data', kept());
  }

  private appendLocal(key: string, buf: Buffer): void {
    const l = this.live.get(key)!;
    l.fd ??= fs.openSync(this.file(key), 'a', 0o600);
    fs.writeSync(l.fd, buf);
    l.size += buf.length;
    for (const w of l.wake) w();
  }

  /**
   * Bounded retention without copying: once the file holds more than `segmentBytes`, it becomes the
   * previous segment (the one before is dropped) and the stream goes on in a new file. Readers see
   * the previous segment then the file, between `segmentBytes` and twice that (writes end at line
   * ends, so the stream still starts at a line). Rewriting the newest part instead cost a copy of it
   * per rotation (with router lines, a 5 MB read and write about every second, and the garbage of it).
   */
  rotate(key: string, segmentBytes: number): boolean {
    const l = this.live.get(key);
    if (!l || l.size - l.previous <= segmentBytes) return false;
    this.release(key);
    // The older segment is moved aside and removed in the background: freeing its blocks is most of a rename over it.
    const gone = `${this.previousFile(key)}.gone`;
    try { fs.renameSync(this.previousFile(key), gone); fs.rm(gone, { force: true }, () => {}); } catch { /* none yet */ }
    fs.renameSync(this.file(key), this.previousFile(key));
    l.shifted += l.previous;
    l.size -= l.previous;
    l.previous = l.size;
    for (const w of l.wake) w();
    return true;
  }

  close(key: string): void {
    const was = this.closeLocal(key);
    this.share?.push(key, 'close');
    if (!was) return;
    if (this.archive) {
      const p = this.archive.save(key, this.file(key)).catch((e: Error) => this.onArchiveError?.(e)).finally(() => { if (this.saving.get(key) === p) this.saving.delete(key); });
      this.saving.set(key, p);
    }
  }

  private closeLocal(key: string): boolean {
    const l = this.live.get(key);
    if (!l) return false;
    l.closed = true;
    this.release(key);
    this.live.delete(key);
    for (const w of l.wake) w();
    return true;
  }

  /** Resolves once the closed stream `key` is archived (at once without an archive). */
  async archived(key: string): Promise<void> { await this.saving.get(key); }

  /** A finished stream another replica wrote: fetched from the archive into this replica's folder (for readers of the file). */
  async restore(key: string): Promise<void> {
    const f = this.file(key);
    if (!this.archive || this.live.has(key) || fs.existsSync(f)) return;
    fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    await this.archive.restore(key, f);
  }

  private release(key: string): void {
    const l = this.live.get(key);
    if (l?.fd !== undefined) { fs.closeSync(l.fd); l.fd = undefined; }
  }

  isLive(key: string): boolean { return this.live.has(key); }

  exists(key: string): boolean { return this.live.has(key) || fs.existsSync(this.file(key)); }

  /** The stored text so far (for `ci:info` of a finished run and for tests). */
  read(key: string): string {
    const text = (f: string) => { try { return fs.readFileSync(f, 'utf8'); } catch { return ''; } };
    return text(this.previousFile(key)) + text(this.file(key));
  }

  /** Bytes stored so far (what a reader at the end would have seen). */
  size(key: string): number { return this.live.get(key)?.size ?? fileSize(this.previousFile(key)) + fileSize(this.file(key)); }

  /** Bytes [start, end) of the stored text, without reading the rest (pages of a long log); across a rotation's two segments. */
  readRange(key: string, start: number, end: number): Buffer {
    const previous = this.live.get(key)?.previous ?? fileSize(this.previousFile(key));
    if (start >= previous) return readFileRange(this.file(key), start - previous, end - previous);
    const first = readFileRange(this.previousFile(key), start, Math.min(end, previous));
    return end <= previous || first.length < Math.min(end, previous) - start ? first : Buffer.concat([first, readFileRange(this.file(key), 0, end - previous)]);
  }

  /**
   * The last `n` non-empty lines `wanted` takes (all when it is not given), oldest first, read from
   * the end a chunk at a time: `logs -n 100` of a 10 MB app log reads its last chunk, not the whole
   * log. `end`: the size they were read up to (where a follower goes on).
   */
  lastLines(key: string, n: number, wanted: (line: string) => unknown = () => true): { lines: string[]; end: number } {
    const end = this.size(key);
    const found: string[] = [];
    let pos = end;
    /** The bytes of the line the last chunk began inside (its start is in an earlier chunk). */
    let carry: Buffer = Buffer.alloc(0);
    while (pos > 0 && found.length < n) {
      const start = Math.max(0, pos - LAST_LINES_CHUNK);
      const buf = carry.length ? Buffer.concat([this.readRange(key, start, pos), carry]) : this.readRange(key, start, pos);
      // Whole lines only (a newline byte is never inside a UTF-8 character); at the log's start, all of it.
      const cut = start > 0 ? buf.indexOf(10) + 1 : 0;
      if (start > 0 && cut === 0) { carry = buf; pos = start; continue; }
      carry = buf.subarray(0, cut);
      const lines = buf.toString('utf8', cut).split('\n');
      for (let i = lines.length - 1; i >= 0 && found.length < n; i--) if (lines[i] && wanted(lines[i]!)) found.push(lines[i]!);
      pos = start;
    }
    return { lines: found.reverse(), end };
  }

  /** Everything from `offset` on, then whatever is appended, ending when the stream closes. */
  async *follow(key: string, offset = 0, signal?: AbortSignal): AsyncGenerator<Buffer> {
    await this.restore(key);
    const l = this.live.get(key);
    let pos = offset;
    let shifted = l?.shifted ?? 0;
    for (;;) {
      if (l && l.shifted !== shifted) { pos = Math.max(0, pos - (l.shifted - shifted)); shifted = l.shifted; } // rotated under us
      const size = l ? l.size : this.size(key);
      // A rotation while the reader holds a chunk moves the stream's start: the position is shifted first.
      while (pos < size && !(l && l.shifted !== shifted)) {
        const buf = this.readRange(key, pos, Math.min(size, pos + 256 * 1024));
        if (!buf.length) break;
        pos += buf.length;
        yield buf;
      }
      if (l && l.shifted !== shifted) continue;
      if (!l || (l.closed && pos >= l.size) || signal?.aborted) return;
      if (pos < l.size) continue;
      await new Promise<void>((resolve) => {
        const wake = () => { l.wake.delete(wake); signal?.removeEventListener('abort', wake); resolve(); };
        l.wake.add(wake);
        signal?.addEventListener('abort', wake);
      });
    }
  }
}

const fileSize = (f: string): number => { try { return fs.statSync(f).size; } catch { return 0; } };

/** Bytes [start, end) of a file (fewer at its end; none when it is missing). */
function readFileRange(f: string, start: number, end: number): Buffer {
  const len = Math.max(0, end - start);
  if (!len) return Buffer.alloc(0);
  let fd: number;
  try { fd = fs.openSync(f, 'r'); } catch { return Buffer.alloc(0); }
  try {
    const buf = Buffer.allocUnsafe(len);
    return buf.subarray(0, fs.readSync(fd, buf, 0, len, start));
  } finally { fs.closeSync(fd); }
}
