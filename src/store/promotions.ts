// Pipeline promotions and their targets: one slug copied to several apps, each with its own status.
import type { Kysely } from 'kysely';
import type { Database, PipelinePromotionsTable, PromotionTargetsTable } from './schema.js';
import { newId, isUuid } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { PROMOTION, PROMOTION_TARGET, type PromotionTargetStatus } from '../core/promotion-status.js';
import { now } from './db.js';

export type Promotion = PipelinePromotionsTable;
export type PromotionTarget = PromotionTargetsTable & { app_name: string; release_version: number | null };

export async function createPromotion(db: Kysely<Database>, p: { pipelineId: string; sourceAppId: string; sourceReleaseId: string; slugId: string; actor: string | null; targetAppIds: string[] }): Promise<Promotion> {
  const row: Promotion = {
    id: newId(), pipeline_id: p.pipelineId, source_app_id: p.sourceAppId, source_release_id: p.sourceReleaseId, slug_id: p.slugId,
    status: 'pending', actor: p.actor, created_at: now(), updated_at: now(),
  };
  await db.transaction().execute(async (trx) => {
    await trx.insertInto('pipeline_promotions').values(row).execute();
    for (const appId of p.targetAppIds) {
      await trx.insertInto('promotion_targets').values({ id: newId(), promotion_id: row.id, app_id: appId, status: 'pending', error_message: null, release_id: null, created_at: now(), updated_at: now() }).execute();
    }
  });
  return row;
}

export async function getPromotion(db: Kysely<Database>, id: string): Promise<Promotion> {
  const p = isUuid(id) ? await db.selectFrom('pipeline_promotions').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  if (!p) throw fail('not_found', `Couldn't find pipeline promotion ${id}.`);
  return p;
}

export const listTargets = (db: Kysely<Database>, promotionId: string): Promise<PromotionTarget[]> =>
  db.selectFrom('promotion_targets').innerJoin('apps', 'apps.id', 'promotion_targets.app_id')
    .leftJoin('releases', 'releases.id', 'promotion_targets.release_id')
    .selectAll('promotion_targets').select(['apps.name as app_name', 'releases.version as release_version'])
    .where('promotion_id', '=', promotionId).orderBy('apps.name').execute();

export async function setTargetRelease(db: Kysely<Database>, targetId: string, releaseId: string): Promise<void> {
  await db.updateTable('promotion_targets').set({ release_id: releaseId, updated_at: now() }).where('id', '=', targetId).execute();
}

/** Settle the target that owns a release; then the promotion completes once no target is pending. */
export async function settleTargetOfRelease(db: Kysely<Database>, releaseId: string, ok: boolean, error: string | null): Promise<{ promotionId: string; completed: boolean } | null> {
  const target = await db.selectFrom('promotion_targets').selectAll().where('release_id', '=', releaseId).where('status', '=', 'pending').executeTakeFirst();
  if (!target) return null;
  return settleTarget(db, target.id, ok, error);
}

export async function settleTarget(db: Kysely<Database>, targetId: string, ok: boolean, error: string | null): Promise<{ promotionId: string; completed: boolean }> {
  return db.transaction().execute(async (trx) => {
    const t = await trx.selectFrom('promotion_targets').selectAll().where('id', '=', targetId).executeTakeFirstOrThrow();
    const to = PROMOTION_TARGET.next(t.status as PromotionTargetStatus, ok ? 'succeeded' : 'failed');
    await trx.updateTable('promotion_targets').set({ status: to, error_message: error, updated_at: now() }).where('id', '=', targetId).where('status', '=', t.status).execute();
    const pending = await trx.selectFrom('promotion_targets').select('id').where('promotion_id', '=', t.promotion_id).where('status', '=', 'pending').executeTakeFirst();
    if (!pending) await trx.updateTable('pipeline_promotions').set({ status: 'completed', updated_at: now() }).where('id', '=', t.promotion_id).where('status', 'in', PROMOTION.into('completed')).execute();
    return { promotionId: t.promotion_id, completed: !pending };
  });
}
