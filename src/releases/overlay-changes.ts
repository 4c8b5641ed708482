// Whether a build changed its overlay-mounted cache: read from the overlay's upper folder (what the
// build wrote) with readdir/lstat only, never through a link, after the build's commands ended.
import fs from 'node:fs';
import path from 'node:path';

/** A folder as the kernel knows it, to tell it from one the tenant put in its place. */
export interface TreeIdentity { dev: number; ino: number }

export function identityOf(dir: string): TreeIdentity {
  const st = fs.lstatSync(dir);
  return { dev: st.dev, ino: st.ino };
}

/** `dir` is still the real folder `id` was taken of (not a link, not another folder renamed there). */
export function sameIdentity(dir: string, id: TreeIdentity): boolean {
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && st.dev === id.dev && st.ino === id.ino;
  } catch { return false; }
}

const names = (dir: string): string => fs.readdirSync(dir).sort().join('\0');
const isRealDir = (p: string): boolean => { try { return fs.lstatSync(p).isDirectory(); } catch { return false; } };

/**
 * True unless the upper folder holds only folders the lower one has, each listing in the merged view
 * what it lists in the lower one. A file, link or whiteout (deletion) in upper is a change; a folder
 * that was only copied up (a temporary file came and went in it) is not; an opaque folder (deleted
 * and made again) shows in the merged listing. Errors count as changes.
 */
export function cacheChanged(upper: string, lower: string, merged: string, rel = ''): boolean {
  try {
    for (const e of fs.readdirSync(path.join(upper, rel), { withFileTypes: true })) {
      if (!e.isDirectory()) return true;
      const r = path.join(rel, e.name);
      if (!isRealDir(path.join(lower, r))) return true;
      if (names(path.join(merged, r)) !== names(path.join(lower, r))) return true;
      if (cacheChanged(upper, lower, merged, r)) return true;
    }
    return false;
  } catch { return true; }
}
