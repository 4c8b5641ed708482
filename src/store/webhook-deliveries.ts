// Webhook deliveries already taken, by the host's delivery id (`X-GitHub-Delivery`): a redelivery is ignored.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { now } from './db.js';

/** Record a delivery; false when this id was seen before (nothing else must happen then). */
export async function recordDelivery(db: Kysely<Database>, id: string, pipelineId: string, event: string): Promise<boolean> {
  const r = await db.insertInto('webhook_deliveries').values({ id, pipeline_id: pipelineId, event, created_at: now() })
    .onConflict((oc) => oc.column('id').doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}
