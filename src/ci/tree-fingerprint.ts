// A fingerprint of a folder's tree, so a setup that changed nothing in its cache is not saved again.
// Read with lstat only: root never follows a link the tenant made in its cache.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

function walk(dir: string, rel: string, hash: crypto.Hash): void {
  for (const name of fs.readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    const r = rel ? `${rel}/${name}` : name;
    const st = fs.lstatSync(full, { bigint: true });
    // Folders by name and mode (their times change when a temporary file comes and goes); files by
    // size and modification time, which any write changes; links by their target.
    if (st.isDirectory()) {
      hash.update(`d\0${r}\0${st.mode}\n`);
      walk(full, r, hash);
    } else if (st.isSymbolicLink()) hash.update(`l\0${r}\0${fs.readlinkSync(full)}\n`);
    else hash.update(`f\0${r}\0${st.mode}\0${st.size}\0${st.mtimeNs}\n`);
  }
}

/** The tree under `dir` as a hash (names, kinds, modes, sizes, file times, link targets); undefined when `dir` is not a real folder. */
export function treeFingerprint(dir: string): string | undefined {
  try {
    if (!fs.lstatSync(dir).isDirectory()) return undefined;
    const hash = crypto.createHash('sha256');
    walk(dir, '', hash);
    return hash.digest('hex');
  } catch {
    return undefined; // changed while read: treated as changed
  }
}
