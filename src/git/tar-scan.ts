// Check a .tar.gz against the limits before anything unpacks it, and pick one member out of it
// (app.json) on the way. Streaming: gunzip runs on libuv's thread pool chunk by chunk, so a gzip
// bomb costs a second of a worker thread and is stopped at the unpacked limit, while the event
// loop keeps answering. ustar, pax and GNU long names, as `git archive`, GitHub and GNU tar write.
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

/** What `what` (e.g. "The source") may be, per the limits; `wanted` picks one regular file to return (≤ maxMember bytes). */
export async function scanTarball(file: string, limits: TarLimits, what: string, wanted?: (path: string) => boolean, maxMember = 512 * 1024): Promise<TarScan> {
  const compressed = (await fs.promises.stat(file)).size;
  if (compressed > limits.compressedBytes) return { ok: false, errorId: 'source_too_large', message: `${what} is ${mb(compressed)} compressed; the limit is ${mb(limits.compressedBytes)} (SLIPWAY_MAX_SOURCE_MB).` };
  const input = fs.createReadStream(file, { highWaterMark: MB });
  const gunzip = zlib.createGunzip({ chunkSize: MB });
  input.pipe(gunzip);
  let pending: Buffer = Buffer.alloc(0);
  let skip = 0; // body bytes (and padding) still to pass over
  let capture: { name: string; size: number; chunks: Buffer[] } | null = null;
  let meta: { kind: 'pax' | 'long'; size: number; chunks: Buffer[] } | null = null;
  let paxName: string | undefined;
  let paxSize: number | undefined;
  let entries = 0;
  let unpacked = 0;
  let ended = false;
  let member: { name: string; data: Buffer } | null = null;
  const fail = (errorId: Exclude<TarScan, { ok: true }>['errorId'], message: string): TarScan => ({ ok: false, errorId, message });
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      unpacked += chunk.length;
      if (unpacked > limits.unpackedBytes) {
        return fail('source_too_large', `${what} unpacks to more than ${mb(limits.unpackedBytes)} (SLIPWAY_MAX_UNPACKED_MB); it was refused before unpacking. Remove large or generated files from the repository.`);
      }
      if (ended) continue; // past the end-of-archive blocks: only counted
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length) {
        if (skip > 0) {
          const n = Math.min(skip, pending.length);
          const body = pending.subarray(0, n);
          if (capture && capture.chunks.reduce((a, c) => a + c.length, 0) < capture.size) capture.chunks.push(Buffer.from(body));
          if (meta) meta.chunks.push(Buffer.from(body));
          pending = pending.subarray(n);
          skip -= n;
          if (skip === 0) {
            if (capture) { member = { name: capture.name, data: Buffer.concat(capture.chunks).subarray(0, capture.size) }; capture = null; }
            if (meta) {
              const text = Buffer.concat(meta.chunks).subarray(0, meta.size).toString('utf8');
              if (meta.kind === 'long') paxName = text.replace(/\0.*$/s, '');
              else {
                paxName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(text)?.[1] ?? paxName;
                const s = /(?:^|\n)\d+ size=(\d+)\n/.exec(text)?.[1];
                paxSize = s === undefined ? undefined : Number(s);
              }
              meta = null;
            }
          }
          continue;
        }
        if (pending.length < 512) break;
        const h = pending.subarray(0, 512);
        pending = pending.subarray(512);
        if (h.every((x) => x === 0)) { ended = true; break; }
        const type = String.fromCharCode(h[156] ?? 48);
        const bodySize = paxSize ?? size(h);
        if (Number.isNaN(bodySize) || bodySize < 0) return fail('invalid_params', `${what} is not a valid tar archive (a corrupt header).`);
        skip = Math.ceil(bodySize / 512) * 512;
        if (type === 'x' || type === 'L') { meta = { kind: type === 'x' ? 'pax' : 'long', size: bodySize, chunks: [] }; paxSize = undefined; continue; }
        if (type === 'g' || type === 'K') { paxSize = undefined; continue; }
        const prefix = field(h, 257, 6) === 'ustar' ? field(h, 345, 155) : '';
        const name = (paxName ?? (prefix ? `${prefix}/${field(h, 0, 100)}` : field(h, 0, 100))).replace(/^\.\//, '');
        paxName = undefined;
        paxSize = undefined;
        if (++entries > limits.entries) return fail('source_too_large', `${what} has more than ${limits.entries} files and folders (SLIPWAY_MAX_SOURCE_ENTRIES); it was refused before unpacking.`);
        if (!member && wanted?.(name)) {
          if (type !== '0' && type !== '\0') return fail('unsafe_file', `${name} in ${what.toLowerCase()} is ${type === '2' ? 'a symbolic link' : type === '1' ? 'a hard link' : 'not a regular file'}; Slipway reads only regular files inside the app.`);
          if (bodySize > maxMember) return fail('file_too_large', `${name} is larger than ${Math.floor(maxMember / 1024)} KB; Slipway reads at most that much of it.`);
          if (bodySize === 0) member = { name, data: Buffer.alloc(0) }; else capture = { name, size: bodySize, chunks: [] };
        }
      }
    }
  } catch (e) {
    return fail('invalid_params', `${what} is not a gzipped tarball (${(e as Error).message}).`);
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  if (!ended && (skip > 0 || pending.length > 0)) return fail('invalid_params', `${what} is a truncated or corrupt tar archive.`);
  return { ok: true, entries, unpackedBytes: unpacked, member };
}

/** app.json at a source's root or under its one top folder (GitHub tarballs). */
export const isAppJson = (p: string): boolean => p === 'app.json' || /^[^/]+\/app\.json$/.test(p);
