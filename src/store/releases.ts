// Releases v1, v2, … per app: slug + config snapshot + description. Status changes only through
// core/release-status; exactly one succeeded release is current.
import type { Kysely } from 'kysely';
import type { Database, ReleasesTable } from './schema.js';
import { newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { nextReleaseStatus, type ReleaseEvent, type ReleaseStatus } from '../core/release-status.js';
import { now } from './db.js';
import { withFlowEdges, writeFlowEdge } from './flow-edges.js';

export type Release = ReleasesTable;

export async function createRelease(db: Kysely<Database>, r: { appId: string; slugId: string | null; config: Record<string, string>; description: string; user?: string | null }): Promise<Release> {
  return withFlowEdges(db, async (trx) => {
    const { release_counter: version } = await trx.updateTable('apps').set((eb) => ({ release_counter: eb('release_counter', '+', 1) }))
      .where('id', '=', r.appId).returning('release_counter').executeTakeFirstOrThrow();
    const row: Release = {
      id: newId(), app_id: r.appId, version: Number(version), slug_id: r.slugId, config: JSON.stringify(r.config), description: r.description,
      status: 'pending', current: 0, message: null, user_name: r.user ?? null, created_at: now(), updated_at: now(),
    };
    await trx.insertInto('releases').values(row).execute();
    return row;
  });
}

/**
 * Move a pending release on. A succeeded one becomes current, unless a newer release is current
 * already (a release phase that ended late never replaces what was released after it). What
 * follows (dynos, pipeline steps, webhooks) is queued in the same transaction, unless `followUps` is false.
 * `settled` is false when another writer (a racing recoverer) settled it between the read and the move:
 * its move stands, and nothing follows twice.
 */
export async function settleRelease(db: Kysely<Database>, id: string, event: ReleaseEvent, message: string | null = null, followUps = true): Promise<Release & { settled: boolean }> {
  return withFlowEdges(db, async (trx) => {
    const r = await trx.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const status = nextReleaseStatus(r.status as ReleaseStatus, event);
    const moved = await trx.updateTable('releases').set({ status, message, updated_at: now() }).where('id', '=', id).where('status', '=', r.status).executeTakeFirst();
    if (!Number(moved.numUpdatedRows)) return { ...await trx.selectFrom('releases').selectAll().where('id', '=', id).executeTakeFirstOrThrow(), settled: false };
    const newer = await trx.selectFrom('releases').select('version').where('app_id', '=', r.app_id).where('current', '=', 1).where('version', '>', r.version).executeTakeFirst();
    const current = status === 'succeeded' && !newer ? 1 : 0;
    if (current) {
      await trx.updateTable('releases').set({ current: 0 }).where('app_id', '=', r.app_id).where('current', '=', 1).execute();
      await trx.updateTable('releases').set({ current: 1 }).where('id', '=', id).execute();
    }
    if (followUps) await writeFlowEdge(trx, 'release-settled', id);
    return { ...r, status, message, current, settled: true };
  });
}

export async function listReleases(db: Kysely<Database>, appId: string, limit = 50): Promise<Release[]> {
  return db.selectFrom('releases').selectAll().where('app_id', '=', appId).orderBy('version', 'desc').limit(limit).execute();
}

export async function getRelease(db: Kysely<Database>, appId: string, versionOrId: string | number): Promise<Release> {
  const q = db.selectFrom('releases').selectAll().where('app_id', '=', appId);
  const r = await (typeof versionOrId === 'number' || /^v?\d+$/.test(versionOrId)
    ? q.where('version', '=', Number(String(versionOrId).replace(/^v/, ''))) : q.where('id', '=', versionOrId)).executeTakeFirst();
  if (!r) throw fail('release_not_found', `This app has no release ${versionOrId}. List them with \`slipway releases\`.`);
  return r;
}

export async function currentRelease(db: Kysely<Database>, appId: string): Promise<Release | undefined> {
  return db.selectFrom('releases').selectAll().where('app_id', '=', appId).where('current', '=', 1).executeTakeFirst();
}
