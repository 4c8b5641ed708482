// Pipeline couplings: which app sits in which stage of which pipeline (an app is in at most one).
import type { Kysely } from 'kysely';
import type { Database, PipelineCouplingsTable } from './schema.js';
import { newId, isUuid } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { now } from './db.js';

export type Coupling = PipelineCouplingsTable;
export type CouplingWithNames = Coupling & { app_name: string; pipeline_name: string };

const withNames = (db: Kysely<Database>) => db.selectFrom('pipeline_couplings')
  .innerJoin('apps', 'apps.id', 'pipeline_couplings.app_id')
  .innerJoin('pipelines', 'pipelines.id', 'pipeline_couplings.pipeline_id')
  .selectAll('pipeline_couplings').select(['apps.name as app_name', 'pipelines.name as pipeline_name']);

export async function createCoupling(db: Kysely<Database>, pipelineId: string, appId: string, stage: string): Promise<CouplingWithNames> {
  const existing = await withNames(db).where('pipeline_couplings.app_id', '=', appId).executeTakeFirst();
  if (existing) throw fail('conflict', `App ${existing.app_name} is already in pipeline ${existing.pipeline_name} (stage ${existing.stage}). Remove it first with \`slipway pipelines:remove -a ${existing.app_name}\`.`);
  const id = newId();
  await db.insertInto('pipeline_couplings').values({ id, pipeline_id: pipelineId, app_id: appId, stage, created_at: now(), updated_at: now() }).execute();
  return getCoupling(db, id);
}

export async function getCoupling(db: Kysely<Database>, id: string): Promise<CouplingWithNames> {
  const c = isUuid(id) ? await withNames(db).where('pipeline_couplings.id', '=', id).executeTakeFirst() : undefined;
  if (!c) throw fail('not_found', `Couldn't find pipeline coupling ${id}.`);
  return c;
}

export const couplingOfApp = (db: Kysely<Database>, appId: string): Promise<CouplingWithNames | undefined> =>
  withNames(db).where('pipeline_couplings.app_id', '=', appId).executeTakeFirst();

export const listCouplings = (db: Kysely<Database>, pipelineId: string): Promise<CouplingWithNames[]> =>
  withNames(db).where('pipeline_couplings.pipeline_id', '=', pipelineId).orderBy('apps.name').execute();

export async function updateCouplingStage(db: Kysely<Database>, id: string, stage: string): Promise<void> {
  await db.updateTable('pipeline_couplings').set({ stage, updated_at: now() }).where('id', '=', id).execute();
}

export async function deleteCoupling(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('pipeline_couplings').where('id', '=', id).execute();
}
