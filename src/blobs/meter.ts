// Counting and hashing bytes as they pass, failing once a size bound is crossed.
import { createHash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { PutLimit, StoredBlob } from './blob-store.js';

export interface Meter {
  /** Count `chunk`; throws `limit.tooLarge()` once past the bound. */
  add(chunk: Buffer): void;
  /** The same as a pass-through stream. */
  stream(): Transform;
  result(): StoredBlob;
}

/** A meter that refuses more than `limit.maxBytes` and knows the size and sha256 of what passed. */
export function meter(limit: PutLimit): Meter {
  const hash = createHash('sha256');
  let size = 0;
  let digest: string | undefined;
  const add = (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit.maxBytes) throw limit.tooLarge();
    hash.update(chunk);
  };
  return {
    add,
    stream: () => new Transform({
      transform(chunk: Buffer, _enc, cb) {
        try { add(chunk); } catch (e) { return cb(e as Error); }
        cb(null, chunk);
      },
    }),
    result: () => ({ size, checksum: 'SHA256:' + (digest ??= hash.digest('hex')) }),
  };
}
