import type { Kysely, Selectable } from 'kysely';
import type { Database, PipelinesTable } from './schema.js';
import { isUuid, newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { now } from './db.js';

export type Pipeline = Selectable<PipelinesTable>;

export async function createPipeline(db: Kysely<Database>, name: string): Promise<Pipeline> {
  const existing = await db.selectFrom('pipelines').select('id').where('name', '=', name).executeTakeFirst();
  if (existing) throw fail('name_taken', `A pipeline named "${name}" already exists.`);
  const id = newId();
  await db.insertInto('pipelines').values({ id, name, ci_timeout_seconds: null, created_at: now(), updated_at: now() }).execute();
  return getPipeline(db, id);
}

/** A pipeline by id or name, or pipeline_not_found. */
export async function getPipeline(db: Kysely<Database>, idOrName: string): Promise<Pipeline> {
  const row = await db.selectFrom('pipelines').selectAll()
    .where(isUuid(idOrName) ? 'id' : 'name', '=', idOrName).executeTakeFirst();
  if (!row) throw fail('pipeline_not_found', `Couldn't find a pipeline named "${idOrName}". List them with \`slipway pipelines\`.`);
  return row;
}

export async function listPipelines(db: Kysely<Database>): Promise<Pipeline[]> {
  return db.selectFrom('pipelines').selectAll().orderBy('name').execute();
}

export type PipelinePatch = Partial<Omit<Pipeline, 'id' | 'test_run_counter' | 'created_at' | 'updated_at'>>;

export async function updatePipeline(db: Kysely<Database>, id: string, patch: PipelinePatch): Promise<void> {
  await db.updateTable('pipelines').set({ ...patch, updated_at: now() }).where('id', '=', id).execute();
}

export async function deletePipeline(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('pipelines').where('id', '=', id).execute();
}

/** The next run number of a pipeline: 1, 2, 3… (atomic in both databases). */
export async function nextTestRunNumber(db: Kysely<Database>, pipelineId: string): Promise<number> {
  const r = await db.updateTable('pipelines').set((eb) => ({ test_run_counter: eb('test_run_counter', '+', 1) }))
    .where('id', '=', pipelineId).returning('test_run_counter').executeTakeFirstOrThrow();
  return Number(r.test_run_counter);
}
