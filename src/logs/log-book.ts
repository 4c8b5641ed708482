// Output of every step, stored in a file per stream and followed live by any number of readers.
import fs from 'node:fs';
import path from 'node:path';
import type { LogChunkKind } from '../store/schema.js';

interface Live {
  size: number; closed: boolean; wake: Set<() => void>;
  /** Bytes cut from the front by trims so far: readers shift their offsets by the change. */ shifted: number;
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

  /** Start (or restart, truncating) a stream that readers can follow until `close`. */
  open(key: string): void {
    this.openLocal(key);
    this.share?.push(key, 'open');
  }

  private openLocal(key: string): void {
    const f = this.file(key);
    fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    fs.writeFileSync(f, '', { mode: 0o600 });
    this.release(key);
    this.live.set(key, { size: 0, closed: false, wake: new Set(), shifted: 0 });
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
    this.live.set(key, { size: fileSize(f), closed: false, wake: new Set(), shifted: 0 });
  }

  append(key: string, chunk: Buffer | string): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.share?.storeOnly(key)) { this.share.push(key, 'data', buf); return; }
    if (!this.live.has(key)) this.open(key);
    this.appendLocal(key, buf);
    this.share?.push(key, 'data', buf);
  }

  private appendLocal(key: string, buf: Buffer): void {
    const l = this.live.get(key)!;
    l.fd ??= fs.openSync(this.file(key), 'a', 0o600);
    fs.writeSync(l.fd, buf);
    l.size += buf.length;
    for (const w of l.wake) w();
  }

  /** Bounded retention: past `maxBytes`, keep only the newest `keepBytes` (from a line start). */
  trim(key: string, maxBytes: number, keepBytes: number): boolean {
    const l = this.live.get(key);
    if (!l || l.size <= maxBytes) return false;
    const f = this.file(key);
    // Only the part kept is read (the newest keepBytes, from the first whole line in them).
    const fd = fs.openSync(f, 'r');
    let size: number;
    let tail: Buffer;
    try {
      size = fs.fstatSync(fd).size;
      tail = Buffer.allocUnsafe(Math.min(size, keepBytes));
      tail = tail.subarray(0, fs.readSync(fd, tail, 0, tail.length, size - tail.length));
    } finally { fs.closeSync(fd); }
    const nl = tail.indexOf(10);
    const kept = nl >= 0 && size > tail.length ? tail.subarray(nl + 1) : tail;
    fs.writeFileSync(f, kept);
    const from = size - kept.length;
    l.size = kept.length;
    l.shifted += from;
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
    try { return fs.readFileSync(this.file(key), 'utf8'); } catch { return ''; }
  }

  /** Bytes stored so far (what a reader at the end would have seen). */
  size(key: string): number { return this.live.get(key)?.size ?? fileSize(this.file(key)); }

  /** Bytes [start, end) of the stored text, without reading the rest (pages of a long log). */
  readRange(key: string, start: number, end: number): Buffer {
    const len = Math.max(0, end - start);
    if (!len) return Buffer.alloc(0);
    let fd: number;
    try { fd = fs.openSync(this.file(key), 'r'); } catch { return Buffer.alloc(0); }
    try {
      const buf = Buffer.alloc(len);
      return buf.subarray(0, fs.readSync(fd, buf, 0, len, start));
    } finally { fs.closeSync(fd); }
  }

  /** Everything from `offset` on, then whatever is appended, ending when the stream closes. */
  async *follow(key: string, offset = 0, signal?: AbortSignal): AsyncGenerator<Buffer> {
    await this.restore(key);
    const l = this.live.get(key);
    const f = this.file(key);
    let pos = offset;
    let shifted = l?.shifted ?? 0;
    for (;;) {
      if (l && l.shifted !== shifted) { pos = Math.max(0, pos - (l.shifted - shifted)); shifted = l.shifted; } // trimmed under us
      const size = l ? l.size : fileSize(f);
      if (size > pos) {
        const fd = fs.openSync(f, 'r');
        try {
          while (pos < size) {
            const buf = Buffer.alloc(Math.min(256 * 1024, size - pos));
            const n = fs.readSync(fd, buf, 0, buf.length, pos);
            if (n <= 0) break;
            pos += n;
            yield buf.subarray(0, n);
          }
        } finally { fs.closeSync(fd); }
      }
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
