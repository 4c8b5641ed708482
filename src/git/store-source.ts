// Every way a source enters Slipway (PUT to a put_url, git push, a webhook's archive) ends here: the
// blob is stored, then checked against the size limits before anything unpacks it.
import type { Readable } from 'node:stream';
import { fail } from '../core/errors.js';
import { markSourceUploaded } from '../store/sources.js';
import type { AppContext } from '../app-context.js';
import { scanTarball } from './tar-scan.js';
import { sourceKey } from './source-blobs.js';

/**
 * Store `body` as source `id`. Over the compressed, unpacked or entry limit → `source_too_large`
 * and nothing kept. A blob that is not a tarball is kept: the run or build using it says so.
 */
export async function storeSource(ctx: Pick<AppContext, 'store' | 'blobs' | 'config'>, id: string, body: Readable): Promise<{ size: number; checksum: string }> {
  const key = sourceKey(id);
  const max = ctx.config.inputLimits.compressedBytes;
  const { size, checksum } = await ctx.blobs.put(key, body, {
    maxBytes: max,
    tooLarge: () => fail('payload_too_large', `The source is larger than ${Math.round(max / 1024 / 1024)} MB compressed (SLIPWAY_MAX_SOURCE_MB); remove large or generated files from the repository.`),
  });
  const scan = await scanTarball((await ctx.blobs.localFile(key))!, ctx.config.inputLimits, 'The source');
  if (!scan.ok && scan.errorId === 'source_too_large') {
    await ctx.blobs.delete(key);
    throw fail('source_too_large', scan.message);
  }
  await markSourceUploaded(ctx.store.db, id, size, checksum);
  return { size, checksum };
}
