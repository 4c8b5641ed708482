// Pipeline stage config vars; the `test` stage's vars are the CI secrets (`ci:config:*`).
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export async function getStageConfig(db: Kysely<Database>, pipelineId: string, stage: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('stage_config_vars').select(['key', 'value'])
    .where('pipeline_id', '=', pipelineId).where('stage', '=', stage).orderBy('key').execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Apply a Heroku-style patch: a string sets, null unsets. Returns the resulting vars. */
export async function patchStageConfig(db: Kysely<Database>, pipelineId: string, stage: string, patch: Record<string, string | null>): Promise<Record<string, string>> {
  await db.transaction().execute(async (trx) => {
    for (const [key, value] of Object.entries(patch)) {
      await trx.deleteFrom('stage_config_vars').where('pipeline_id', '=', pipelineId).where('stage', '=', stage).where('key', '=', key).execute();
      if (value !== null) await trx.insertInto('stage_config_vars').values({ pipeline_id: pipelineId, stage, key, value }).execute();
    }
  });
  return getStageConfig(db, pipelineId, stage);
}
