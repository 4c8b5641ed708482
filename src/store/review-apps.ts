// Review apps: one per pull request of a pipeline, with its app and where it is in its life.
import type { Kysely } from 'kysely';
import type { Database, ReviewAppsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { REVIEW_APP, type ReviewAppStatus } from '../core/review-app-status.js';
import { now } from './db.js';

export type ReviewApp = Omit<ReviewAppsTable, 'postdeploy_done'> & { postdeploy_done: number };
export type { ReviewAppStatus };

export const reviewAppOfPr = (db: Kysely<Database>, pipelineId: string, pr: number): Promise<ReviewApp | undefined> =>
  db.selectFrom('review_apps').selectAll().where('pipeline_id', '=', pipelineId).where('pr_number', '=', pr).executeTakeFirst();

export const reviewAppOfApp = (db: Kysely<Database>, appId: string): Promise<ReviewApp | undefined> =>
  db.selectFrom('review_apps').selectAll().where('app_id', '=', appId).where('status', 'not in', ['deleted']).executeTakeFirst();

export const listReviewApps = (db: Kysely<Database>, pipelineId: string): Promise<ReviewApp[]> =>
  db.selectFrom('review_apps').selectAll().where('pipeline_id', '=', pipelineId).orderBy('pr_number').execute();

/** The PR's row, made pending (a reopened PR's old row starts over). */
export async function openReviewApp(db: Kysely<Database>, pipelineId: string, pr: number, branch: string): Promise<ReviewApp> {
  const old = await reviewAppOfPr(db, pipelineId, pr);
  if (old) {
    if (old.status === 'deleted' || old.status === 'errored') {
      await db.updateTable('review_apps').set({ status: 'pending', branch, app_id: old.status === 'deleted' ? null : old.app_id, postdeploy_done: 0, message: null, updated_at: now() }).where('id', '=', old.id).execute();
    }
    return (await reviewAppOfPr(db, pipelineId, pr))!;
  }
  const row = { id: newId(), pipeline_id: pipelineId, app_id: null, pr_number: pr, branch, status: 'pending', postdeploy_done: 0, message: null, created_at: now(), updated_at: now() };
  await db.insertInto('review_apps').values(row).execute();
  return row;
}

/** Update a review app; a status change must be a legal move of core/review-app-status (else IllegalTransition, nothing written). */
export async function updateReviewApp(db: Kysely<Database>, id: string, patch: Partial<Pick<ReviewApp, 'app_id' | 'message' | 'branch'> & { status: ReviewAppStatus }>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const { status: from } = await trx.selectFrom('review_apps').select('status').where('id', '=', id).executeTakeFirstOrThrow();
    const { status: to, ...rest } = patch;
    const move = to !== undefined && to !== from ? { status: REVIEW_APP.next(from as ReviewAppStatus, to) } : {};
    await trx.updateTable('review_apps').set({ ...rest, ...move, updated_at: now() }).where('id', '=', id).where('status', '=', from).execute();
  });
}

/** Claim the one postdeploy run of a review app: true for exactly one caller. */
export async function claimPostdeploy(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db.updateTable('review_apps').set({ postdeploy_done: 1, updated_at: now() }).where('id', '=', id).where('postdeploy_done', '=', 0).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
