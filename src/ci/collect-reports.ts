// After the tests: JUnit XML reports written to $CI_REPORTS_DIR or the app's test-results/ folder.
// The tenant wrote those folders, so they are read as any tenant file is: nothing outside the
// workspace (a linked folder or report leading out is skipped with a warning), no FIFO, no device.
import fs from 'node:fs';
import path from 'node:path';
import type { NewTestCase } from '../store/test-runs.js';
import { readTenantFile, tenantDir } from '../sandbox/tenant-file.js';

const MAX_FILES = 500;
const MAX_BYTES = 50 * 1024 * 1024;

/** Every *.xml below `dir` that is not a folder; linked folders are not entered. */
async function xmlFiles(dir: string, out: string[] = []): Promise<string[]> {
  let entries: fs.Dirent[];
  try { entries = await fs.promises.readdir(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (out.length >= MAX_FILES) break;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) await xmlFiles(p, out);
    else if (e.name.endsWith('.xml')) out.push(p);
  }
  return out;
}

/**
 * Test cases from every JUnit report found in `dirs` (inside the workspace `root`; each with the
 * name warnings use for it), in file order; unsafe or unreadable reports become warnings.
 */
export async function collectJUnit(root: string, dirs: [dir: string, name: string][], warn: (line: string) => void): Promise<Omit<NewTestCase, 'number'>[]> {
  const cases: Omit<NewTestCase, 'number'>[] = [];
  for (const [dir, name] of dirs) {
    const label = path.basename(dir);
    const found = await tenantDir(dir, root, name);
    if (!found.ok) { warn(` !     ${found.message} Its reports were not read.\n`); continue; }
    if (!found.dir) continue;
    for (const file of await xmlFiles(found.dir)) {
      const rel = path.join(label, path.relative(found.dir, file));
      const r = await readTenantFile(file, root, { maxBytes: MAX_BYTES, label: rel });
      if (!r.ok) { warn(` !     ${r.message} Skipped.\n`); continue; }
      if (r.text === null) continue;
      // The XML parser is loaded by the first report read: most runs write none.
      const { parseJUnit } = await import('./junit-results.js');
      const parsed = parseJUnit(r.text, rel);
      if (parsed.ok) cases.push(...parsed.cases); else warn(` !     ${parsed.message}\n`);
    }
  }
  return cases;
}
