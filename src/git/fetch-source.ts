// A runner's copy of a source: our own blob (checked against the limits when it was stored), or a
// download from the source_blob_url a client gave, streamed to disk within the compressed limit
// and checked like an upload before anything unpacks it.
import fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { InputLimits } from '../config.js';
import type { BlobStore } from '../blobs/blob-store.js';
import { sourceIdFromUrl, sourceKey } from './source-blobs.js';
import { scanTarball } from './tar-scan.js';

/** Put the source at `url` into `dest`; throws with a message for the user when it is over a limit. */
export async function fetchSourceTo(blobs: Pick<BlobStore, 'get'>, url: string, dest: string, limits: InputLimits): Promise<void> {
  const local = sourceIdFromUrl(url);
  const stored = local ? await blobs.get(sourceKey(local)) : undefined;
  if (stored) { await pipeline(stored, fs.createWriteStream(dest, { mode: 0o600 })); return; }
  const res = await fetch(url, { signal: AbortSignal.timeout(300_000) });
  if (!res.ok || !res.body) throw new Error(`downloading the source from ${url.split('?')[0]} failed: HTTP ${res.status}`);
  let size = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (size > limits.compressedBytes) return cb(new Error(`the source at ${url.split('?')[0]} is larger than ${Math.round(limits.compressedBytes / 1024 / 1024)} MB (SLIPWAY_MAX_SOURCE_MB)`));
      cb(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), meter, fs.createWriteStream(dest, { mode: 0o600 }));
  const scan = await scanTarball(dest, limits, 'The source');
  if (!scan.ok && scan.errorId === 'source_too_large') throw new Error(scan.message);
}
