// Source blobs (tarballs of an app's source) in the blob store: written by PUT, read by runners.
import { fail } from '../core/errors.js';
import { isUuid } from '../core/ids.js';

/** The blob key of source `id`; an id that is not one of ours is a source we do not have. */
export function sourceKey(id: string): string {
  if (!isUuid(id)) throw fail('source_not_found');
  return `sources/${id}.tgz`;
}

/** The source id in one of our own blob URLs (`…/sources/<id>/blob…`), if it is one. */
export function sourceIdFromUrl(url: string): string | undefined {
  const m = /\/sources\/([0-9a-f-]{36})\/blob(\?|$)/i.exec(url);
  return m?.[1];
}
