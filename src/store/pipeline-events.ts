// The pipeline's own log: every automatic step (test run on push, deploy, promotion, acceptance
// run) with its reason, newest last.
import type { Kysely } from 'kysely';
import type { Database, PipelineEventsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type PipelineEvent = PipelineEventsTable;

/** Append an event; with `eventKey` (a flow edge's follow-up: store/flow-edges' `edgeEventKey`) it is written once, however often that follow-up runs. */
export async function addPipelineEvent(db: Kysely<Database>, pipelineId: string, kind: string, message: string, eventKey: string | null = null): Promise<void> {
  await db.insertInto('pipeline_events').values({ id: newId(), pipeline_id: pipelineId, kind, message, created_at: now(), event_key: eventKey })
    .onConflict((oc) => oc.column('event_key').doNothing()).execute();
}

export async function listPipelineEvents(db: Kysely<Database>, pipelineId: string, limit = 100): Promise<PipelineEvent[]> {
  const rows = await db.selectFrom('pipeline_events').selectAll().where('pipeline_id', '=', pipelineId)
    .orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
  return rows.reverse();
}
