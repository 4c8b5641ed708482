// Output of every step, stored in a file per stream and followed live by any number of readers.
import fs from 'node:fs';
import path from 'node:path';

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

export class LogBook {
  private live = new Map<string, Live>();
  private saving = new Map<string, Promise<void>>();
  constructor(private dir: string, private archive?: LogArchive, private onArchiveError?: (e: Error) => void) { fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); }

  private file(key: string): string {
    if (!/^[\w.-]+(\/[\w.-]+)*$/.test(key) || key.split('/').some((p) => p === '.' || p === '..')) throw new Error(`bad log key ${key}`);
    return path.join(this.dir, key + '.log');
  }

  /** Start (or restart, truncating) a stream that readers can follow until `close`. */
  open(key: string): void {
    const f = this.file(key);
    fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    fs.writeFileSync(f, '', { mode: 0o600 });
    this.release(key);
    this.live.set(key, { size: 0, closed: false, wake: new Set(), shifted: 0 });
  }

  /** Open unless it is already being written (a step that continues a stream another step began). */
  ensureOpen(key: string): void {
    if (this.live.has(key)) return;
    const f = this.file(key);
    fs.mkdirSync(path.dirname(f), { recursive: true, mode: 0o700 });
    this.live.set(key, { size: fileSize(f), closed: false, wake: new Set(), shifted: 0 });
  }

  append(key: string, chunk: Buffer | string): void {
    let l = this.live.get(key);
    if (!l) { this.open(key); l = this.live.get(key)!; }
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
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
    const buf = fs.readFileSync(f);
    let from = buf.length - keepBytes;
    const nl = buf.indexOf(10, from);
    if (nl >= 0) from = nl + 1;
    fs.writeFileSync(f, buf.subarray(from));
    l.size = buf.length - from;
    l.shifted += from;
    for (const w of l.wake) w();
    return true;
  }

  close(key: string): void {
    const l = this.live.get(key);
    if (!l) return;
    l.closed = true;
    this.release(key);
    this.live.delete(key);
    for (const w of l.wake) w();
    if (this.archive) {
      const p = this.archive.save(key, this.file(key)).catch((e: Error) => this.onArchiveError?.(e)).finally(() => { if (this.saving.get(key) === p) this.saving.delete(key); });
      this.saving.set(key, p);
    }
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
