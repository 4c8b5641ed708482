// Finished output streams (builds, release phases, test nodes, one-offs) archived to the blob store,
// so any replica serves them; app logs are continuous and stay with the replica that writes them.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import type { BlobStore } from './blob-store.js';
import type { LogArchive } from '../logs/log-book.js';

const logBlobKey = (key: string): string => `logs/${key}.log`;

/** The archive of a LogBook in `blobs`; undefined when blobs live in this replica's own data folder (nothing to share). */
export function blobLogArchive(blobs: BlobStore, maxBytes: number): LogArchive | undefined {
  if (blobs.kind === 'folder') return undefined;
  return {
    async save(key, file) {
      if (key.startsWith('apps/') || !fs.existsSync(file)) return;
      await blobs.put(logBlobKey(key), fs.createReadStream(file), { maxBytes, tooLarge: () => new Error(`the output ${key} is larger than ${maxBytes} bytes; not archived`) });
    },
    async restore(key, file) {
      const body = await blobs.get(logBlobKey(key));
      if (!body) return false;
      const tmp = `${file}.part-${randomBytes(4).toString('hex')}`;
      await pipeline(body, fs.createWriteStream(tmp, { mode: 0o600 }));
      fs.renameSync(tmp, file);
      return true;
    },
  };
}
