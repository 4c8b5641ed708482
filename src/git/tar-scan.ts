// Check a .tar.gz against the limits before anything unpacks it, and pick one member out of it
// (app.json) on the way. Streaming: gunzip runs on libuv's thread pool chunk by chunk, so a gzip
// bomb costs a second of a worker thread and is stopped at the unpacked limit, while the event
// loop keeps answering. ustar, pax and GNU long names, as `git archive`, GitHub and GNU tar write.
import crypto from 'node:crypto';
import fs from 'node:fs';
import zlib from 'node:zlib';

export interface TarLimits { compressedBytes: number; unpackedBytes: number; entries: number }

export type TarScan =
  | { ok: true; entries: number; unpackedBytes: number; member: { name: string; data: Buffer } | null }
  | { ok: false; errorId: 'source_too_large' | 'invalid_params' | 'unsafe_file' | 'file_too_large'; message: string };

const MB = 1024 * 1024;
const mb = (n: number): string => `${Math.round(n / MB)} MB`;
const field = (b: Buffer, start: number, len: number): string => b.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');

function size(h: Buffer): number {
  if ((h[124]! & 0x80) !== 0) return Number(h.subarray(125, 136).readBigUInt64BE(3)); // GNU base-256
  return parseInt(field(h, 124, 12).trim() || '0', 8);
}

type Refusal = Exclude<TarScan, { ok: true }>;

/** The stream from a named entry's header to its end: where it starts and its SHA-256. */
export interface TarTail { offset: number; sha256: string }

/**
 * The tar walk of scanTarball over uncompressed bytes, fed chunk by chunk: counts the unpacked
 * bytes and the entries against the limits and picks out `wanted`. `push` answers the first
 * refusal (feed nothing after it); `end` the verdict once the stream has ended. The build checks
 * a slug's tar stream with it while the slug is packed.
 */
export class TarWalk {
  private pending: Buffer = Buffer.alloc(0);
  private skip = 0; // body bytes (and padding) still to pass over
  private capture: { name: string; size: number; chunks: Buffer[] } | null = null;
  private meta: { kind: 'pax' | 'long'; size: number; chunks: Buffer[] } | null = null;
  private paxName: string | undefined;
  private paxSize: number | undefined;
  private entries = 0;
  private unpacked = 0;
  private ended = false;
  private member: { name: string; data: Buffer } | null = null;
  /** Set with `tailFrom`: the hash of every byte from that entry's header on, and where it began. */
  private tail: { offset: number; hash: crypto.Hash } | undefined;

  /**
   * `tailFrom`: an entry's name (as `wanted` sees names); the stream from the first header of that
   * name to the end, end-of-archive blocks and all, is hashed (`tail()`), so a slug's last part can
   * be told to be the bytes of a part kept from an earlier build.
   */
  constructor(private readonly limits: Omit<TarLimits, 'compressedBytes'>, private readonly what: string, private readonly wanted?: (path: string) => boolean, private readonly maxMember = 512 * 1024, private readonly tailFrom?: string) {}

  private fail(errorId: Refusal['errorId'], message: string): Refusal { return { ok: false, errorId, message }; }

  /** The next bytes of the tar stream; a refusal when they break a limit or are not tar. */
  push(chunk: Buffer): Refusal | undefined {
    const { limits, what } = this;
    this.unpacked += chunk.length;
    if (this.unpacked > limits.unpackedBytes) {
      return this.fail('source_too_large', `${what} unpacks to more than ${mb(limits.unpackedBytes)} (SLIPWAY_MAX_UNPACKED_MB); it was refused before unpacking. Remove large or generated files from the repository.`);
    }
    if (this.ended) { this.tail?.hash.update(chunk); return undefined; } // past the end-of-archive blocks: only counted
    let pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    try {
      while (pending.length) {
        if (this.skip > 0) {
          const n = Math.min(this.skip, pending.length);
          const body = pending.subarray(0, n);
          this.tail?.hash.update(body);
          const capture = this.capture;
          if (capture && capture.chunks.reduce((a, c) => a + c.length, 0) < capture.size) capture.chunks.push(Buffer.from(body));
          if (this.meta) this.meta.chunks.push(Buffer.from(body));
          pending = pending.subarray(n);
          this.skip -= n;
          if (this.skip === 0) {
            if (capture) { this.member = { name: capture.name, data: Buffer.concat(capture.chunks).subarray(0, capture.size) }; this.capture = null; }
            const meta = this.meta;
            if (meta) {
              const text = Buffer.concat(meta.chunks).subarray(0, meta.size).toString('utf8');
              if (meta.kind === 'long') this.paxName = text.replace(/\0.*$/s, '');
              else {
                this.paxName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)?.[1] ?? this.paxName;
                const s = /(?:^|\n)\d+ size=(\d+)\n/.exec(text)?.[1];
                this.paxSize = s === undefined ? undefined : Number(s);
              }
              this.meta = null;
            }
          }
          continue;
        }
        if (pending.length < 512) break;
        const h = pending.subarray(0, 512);
        const at = this.unpacked - pending.length;
        pending = pending.subarray(512);
        if (h[0] === 0 && h.every((x) => x === 0)) {
          this.ended = true;
          this.tail?.hash.update(h).update(pending);
          pending = Buffer.alloc(0);
          break;
        }
        this.tail?.hash.update(h);
        const type = String.fromCharCode(h[156] ?? 48);
        const bodySize = this.paxSize ?? size(h);
        if (Number.isNaN(bodySize) || bodySize < 0) return this.fail('invalid_params', `${what} is not a valid tar archive (a corrupt header).`);
        this.skip = Math.ceil(bodySize / 512) * 512;
        if (type === 'x' || type === 'L') { this.meta = { kind: type === 'x' ? 'pax' : 'long', size: bodySize, chunks: [] }; this.paxSize = undefined; continue; }
        if (type === 'g' || type === 'K') { this.paxSize = undefined; continue; }
        const prefix = field(h, 257, 6) === 'ustar' ? field(h, 345, 155) : '';
        const name = (this.paxName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100))).replace(/^\.\//, '');
        // A name from a pax or long-name entry has its header before this one: no tail starts there.
        if (!this.tail && this.tailFrom !== undefined && name === this.tailFrom && this.paxName === undefined) this.tail = { offset: at, hash: crypto.createHash('sha256').update(h) };
        this.paxName = undefined;
        this.paxSize = undefined;
        if (++this.entries > limits.entries) return this.fail('source_too_large', `${what} has more than ${limits.entries} files and folders (SLIPWAY_MAX_SOURCE_ENTRIES); it was refused before unpacking.`);
        if (!this.member && this.wanted?.(name)) {
          if (type !== '0' && type !== '\0') return this.fail('unsafe_file', `${name} in ${what.toLowerCase()} is ${type === '2' ? 'a symbolic link' : type === '1' ? 'a hard link' : 'not a regular file'}; Slipway reads only regular files inside the app.`);
          if (bodySize > this.maxMember) return this.fail('file_too_large', `${name} is larger than ${Math.floor(this.maxMember / 1024)} KB; Slipway reads at most that much of it.`);
          if (bodySize === 0) this.member = { name, data: Buffer.alloc(0) }; else this.capture = { name, size: bodySize, chunks: [] };
        }
      }
    } finally {
      this.pending = pending;
    }
    return undefined;
  }

  /** The verdict after the last chunk: a truncated archive is refused. */
  end(): TarScan {
    if (!this.ended && (this.skip > 0 || this.pending.length > 0)) return this.fail('invalid_params', `${this.what} is a truncated or corrupt tar archive.`);
    return { ok: true, entries: this.entries, unpackedBytes: this.unpacked, member: this.member };
  }

  /** With `tailFrom`, after `end`: where that entry's header began and the SHA-256 of the stream from there (undefined: no such entry). */
  tailHash(): TarTail | undefined {
    return this.tail && { offset: this.tail.offset, sha256: this.tail.hash.digest('hex') };
  }
}

/** What `what` (e.g. "The source") may be, per the limits; `wanted` picks one regular file to return (≤ maxMember bytes). */
export async function scanTarball(file: string, limits: TarLimits, what: string, wanted?: (path: string) => boolean, maxMember = 512 * 1024): Promise<TarScan> {
  const compressed = (await fs.promises.stat(file)).size;
  if (compressed > limits.compressedBytes) return { ok: false, errorId: 'source_too_large', message: `${what} is ${mb(compressed)} compressed; the limit is ${mb(limits.compressedBytes)} (SLIPWAY_MAX_SOURCE_MB).` };
  const input = fs.createReadStream(file, { highWaterMark: MB });
  const gunzip = zlib.createGunzip({ chunkSize: MB });
  input.pipe(gunzip);
  const walk = new TarWalk(limits, what, wanted, maxMember);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      const refused = walk.push(chunk);
      if (refused) return refused;
    }
  } catch (e) {
    return { ok: false, errorId: 'invalid_params', message: `${what} is not a gzipped tarball (${(e as Error).message}).` };
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  return walk.end();
}

/** app.json at a source's root or under its one top folder (GitHub tarballs). */
export const isAppJson = (p: string): boolean => p === 'app.json' || /^[^/]+\/app\.json$/.test(p);
