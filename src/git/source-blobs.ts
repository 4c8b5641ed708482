// Source blobs (tarballs of an app's source) kept in the data folder: written by PUT, read by runners.
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { fail } from '../core/errors.js';
import { isUuid } from '../core/ids.js';

export class SourceBlobs {
  constructor(private dir: string, private maxBytes: number) { fs.mkdirSync(dir, { recursive: true, mode: 0o700 }); }

  path(id: string): string {
    if (!isUuid(id)) throw fail('source_not_found');
    return path.join(this.dir, `${id}.tgz`);
  }

  /** Store an upload; refuses more than maxBytes. Returns size and sha256 checksum. */
  async write(id: string, body: Readable): Promise<{ size: number; checksum: string }> {
    const dest = this.path(id);
    const tmp = `${dest}.part`;
    const hash = createHash('sha256');
    let size = 0;
    const max = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        if (size > max) return cb(fail('payload_too_large', `The source is larger than ${Math.round(max / 1024 / 1024)} MB compressed (SLIPWAY_MAX_SOURCE_MB); remove large or generated files from the repository.`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(body, meter, fs.createWriteStream(tmp, { mode: 0o600 }));
    } catch (e) {
      fs.rmSync(tmp, { force: true });
      throw e;
    }
    fs.renameSync(tmp, dest);
    return { size, checksum: 'SHA256:' + hash.digest('hex') };
  }

  exists(id: string): boolean { return fs.existsSync(this.path(id)); }

  remove(id: string): void { fs.rmSync(this.path(id), { force: true }); }
}

/** The source id in one of our own blob URLs (`…/sources/<id>/blob…`), if it is one. */
export function sourceIdFromUrl(url: string): string | undefined {
  const m = /\/sources\/([0-9a-f-]{36})\/blob(\?|$)/i.exec(url);
  return m?.[1];
}
