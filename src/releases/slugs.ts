// Slugs (compiled apps, gzipped tarballs) in the blob store, so any replica or agent that runs a
// release phase, a dyno or a one-off can fetch the one it needs.
import fs from 'node:fs';
import { fail } from '../core/errors.js';
import type { BlobStore } from '../blobs/blob-store.js';
import type { InputLimits } from '../config.js';

type Blobs = Pick<BlobStore, 'put' | 'localFile' | 'delete'>;

export const slugKey = (slugId: string): string => `slugs/${slugId}.tgz`;

/** Keep the compiled slug at `file` as slug `slugId` (bounded by SLIPWAY_MAX_SLUG_MB, as the build checked). */
export async function storeSlug(blobs: Blobs, limits: Pick<InputLimits, 'slugBytes'>, slugId: string, file: string): Promise<void> {
  await blobs.put(slugKey(slugId), fs.createReadStream(file), {
    maxBytes: limits.slugBytes,
    tooLarge: () => fail('payload_too_large', `The compiled slug is larger than ${Math.round(limits.slugBytes / 1024 / 1024)} MB (SLIPWAY_MAX_SLUG_MB).`),
  });
}

/** A file on this host with slug `slugId`, readable by sandboxes (fetched from the blob store when it lives elsewhere). */
export async function slugFile(blobs: Blobs, slugId: string): Promise<string> {
  const file = await blobs.localFile(slugKey(slugId));
  if (!file) throw new Error(`slug ${slugId} is not in the blob store`);
  return file;
}

/** Remove slugs no release uses any more. */
export async function removeSlugs(blobs: Blobs, slugIds: string[]): Promise<void> {
  for (const id of slugIds) await blobs.delete(slugKey(id));
}
