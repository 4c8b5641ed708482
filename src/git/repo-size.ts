// An app's repository size (Heroku's `repo_size`): measured after each push and kept in its row, so
// a list of apps reads it instead of walking every repository on disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { repoPath } from './repos.js';

/** Bytes of the files under `dir` (0 when it does not exist). */
export async function treeBytes(dir: string): Promise<number> {
  let total = 0;
  let entries;
  try { entries = await fs.readdir(dir, { withFileTypes: true }); } catch { return 0; }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await treeBytes(p);
    else if (e.isFile()) total += (await fs.stat(p).catch(() => ({ size: 0 }))).size;
  }
  return total;
}

/** Measure app `appId`'s repository and keep the figure in its row. */
export async function recordRepoSize(db: Kysely<Database>, dataDir: string, appId: string): Promise<number> {
  const size = await treeBytes(repoPath(dataDir, appId));
  await db.updateTable('apps').set({ repo_size: size }).where('id', '=', appId).execute();
  return size;
}

/** The kept figure, else (an app not pushed to since sizes were kept) measured once now. */
export async function repoSizeOf(db: Kysely<Database>, dataDir: string, app: { id: string; repo_size?: number | string | null }): Promise<number> {
  return app.repo_size !== null && app.repo_size !== undefined ? Number(app.repo_size) : recordRepoSize(db, dataDir, app.id);
}
