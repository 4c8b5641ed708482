// After the tests: JUnit XML reports written to $CI_REPORTS_DIR or the app's test-results/ folder.
import fs from 'node:fs';
import path from 'node:path';
import type { NewTestCase } from '../store/test-runs.js';
import { parseJUnit } from './junit-results.js';

const MAX_FILES = 500;
const MAX_BYTES = 50 * 1024 * 1024;

function xmlFiles(dir: string, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return out; }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (out.length >= MAX_FILES) break;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) xmlFiles(p, out);
    else if (e.isFile() && e.name.endsWith('.xml')) out.push(p);
  }
  return out;
}

/** Test cases from every JUnit report found, in file order; unreadable reports become warnings. */
export function collectJUnit(dirs: string[], warn: (line: string) => void): Omit<NewTestCase, 'number'>[] {
  const cases: Omit<NewTestCase, 'number'>[] = [];
  for (const dir of dirs) {
    for (const file of xmlFiles(dir)) {
      const rel = path.relative(path.dirname(dir), file);
      if (fs.statSync(file).size > MAX_BYTES) { warn(` !     ${rel} is larger than 50 MB; skipped\n`); continue; }
      const r = parseJUnit(fs.readFileSync(file, 'utf8'), rel);
      if (r.ok) cases.push(...r.cases); else warn(` !     ${r.message}\n`);
    }
  }
  return cases;
}
