import type { Kysely } from 'kysely';
import type { Database, BuildsTable, SlugsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { BUILD } from '../core/build-status.js';
import { now } from './db.js';
import { withFlowEdges, writeFlowEdge } from './flow-edges.js';

export type Build = BuildsTable;
export type Slug = SlugsTable;

export async function createBuild(db: Kysely<Database>, appId: string, sourceBlobUrl: string, version: string | null, user: string | null = null): Promise<Build> {
  const row: Build = { id: newId(), app_id: appId, status: 'pending', source_blob_url: sourceBlobUrl, source_version: version, buildpacks: null, slug_id: null, release_id: null, message: null, user_name: user, created_at: now(), updated_at: now() };
  await db.insertInto('builds').values(row).execute();
  return row;
}

/**
 * End a pending build (core/build-status) and queue what follows it in the same transaction; false
 * when it had ended already (nothing is written then).
 */
export async function finishBuild(db: Kysely<Database>, id: string, patch: { status: 'succeeded' | 'failed'; slugId?: string; releaseId?: string; message?: string; buildpacks?: string[] }): Promise<boolean> {
  return withFlowEdges(db, async (trx) => {
    const r = await trx.updateTable('builds').set({
      status: patch.status, slug_id: patch.slugId ?? null, release_id: patch.releaseId ?? null, message: patch.message ?? null,
      buildpacks: patch.buildpacks ? JSON.stringify(patch.buildpacks) : null, updated_at: now(),
    }).where('id', '=', id).where('status', 'in', BUILD.into(patch.status)).executeTakeFirst();
    if (!Number(r.numUpdatedRows)) return false;
    await writeFlowEdge(trx, 'build-ended', id);
    return true;
  });
}

export async function getBuild(db: Kysely<Database>, appId: string, id: string): Promise<Build> {
  const b = await db.selectFrom('builds').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
  if (!b) throw fail('build_not_found', `This app has no build ${id}.`);
  return b;
}

export const listBuilds = (db: Kysely<Database>, appId: string, limit = 50): Promise<Build[]> =>
  db.selectFrom('builds').selectAll().where('app_id', '=', appId).orderBy('created_at', 'desc').limit(limit).execute();

export async function createSlug(db: Kysely<Database>, s: Omit<Slug, 'id' | 'created_at'> & { id?: string }): Promise<Slug> {
  const row: Slug = { ...s, id: s.id ?? newId(), created_at: now() };
  await db.insertInto('slugs').values(row).execute();
  return row;
}

export async function getSlug(db: Kysely<Database>, id: string): Promise<Slug> {
  return db.selectFrom('slugs').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}
