// Read one file out of a .tar.gz in memory (ustar and pax names, as `git archive` and GitHub write
// them), so the control plane can look at app.json without starting a process.
import { gunzipSync } from 'node:zlib';

export type TarRead = { ok: true; name: string; data: Buffer } | { ok: true; name: null } | { ok: false; message: string };

const field = (b: Buffer, start: number, len: number): string => b.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '');
const octal = (b: Buffer, start: number, len: number): number => parseInt(field(b, start, len).trim() || '0', 8);

/** The first member whose path (leading "./" removed) `wanted` accepts; name null when none does. */
export function readTarMember(tgz: Buffer, wanted: (path: string) => boolean, maxBytes = 5 * 1024 * 1024): TarRead {
  let tar: Buffer;
  try { tar = gunzipSync(tgz, { maxOutputLength: 2 * 1024 * 1024 * 1024 }); } catch (e) { return { ok: false, message: `not gzip data (${(e as Error).message})` }; }
  let off = 0;
  let paxName: string | undefined;
  while (off + 512 <= tar.length) {
    const h = tar.subarray(off, off + 512);
    if (h.every((x) => x === 0)) return { ok: true, name: null };
    const size = octal(h, 124, 12);
    const type = String.fromCharCode(h[156] ?? 48);
    const body = tar.subarray(off + 512, off + 512 + size);
    if (Number.isNaN(size) || off + 512 + size > tar.length) return { ok: false, message: 'a truncated or corrupt tar archive' };
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxName = m?.[1];
    } else if (type !== 'g') {
      const ustarPrefix = field(h, 257, 6) === 'ustar' ? field(h, 345, 155) : '';
      const name = (paxName ?? (ustarPrefix ? `${ustarPrefix}/${field(h, 0, 100)}` : field(h, 0, 100))).replace(/^\.\//, '');
      paxName = undefined;
      if ((type === '0' || type === '\0') && wanted(name)) {
        return size > maxBytes ? { ok: false, message: `${name} is larger than ${maxBytes / 1024 / 1024} MB` } : { ok: true, name, data: Buffer.from(body) };
      }
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return { ok: true, name: null };
}
