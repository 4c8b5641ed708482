import type { Kysely } from 'kysely';

// What a flow edge's follow-up publishes carries a key made of the edge and the event's kind, unique
// per webhook (deliveries) or per store (pipeline events): a follow-up that runs again (another
// handler of its edge threw, or its replica died) inserts nothing new. Events from elsewhere (API
// routes, dyno states) have no key; NULLs never collide, so they are all kept.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('app_webhook_deliveries').addColumn('event_key', 'text').execute();
  await db.schema.createIndex('app_webhook_deliveries_event_key').ifNotExists().unique().on('app_webhook_deliveries').columns(['webhook_id', 'event_key']).execute();
  await db.schema.alterTable('pipeline_events').addColumn('event_key', 'text').execute();
  await db.schema.createIndex('pipeline_events_event_key').ifNotExists().unique().on('pipeline_events').column('event_key').execute();
}
