// Temporary folders of a test file, removed when its process exits (a test that fails half-way
// leaves nothing behind either; servers are stopped by then, in the files' `after` hooks).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) {
    try { fs.rmSync(d, { recursive: true, force: true }); } catch { /* a killed server's mount, say: its own sweep removes it */ }
  }
});

/** A new folder `<base>/<prefix>XXXXXX` (base: the system's temporary folder), removed at exit. */
export function tempDir(prefix: string, base: string = os.tmpdir()): string {
  const dir = fs.mkdtempSync(path.join(base, prefix));
  made.push(dir);
  return dir;
}
