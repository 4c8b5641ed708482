// The flow's outbox: when a test run starts or a test run, build or release settles, what follows it is written as a
// job in the same transaction as the status change, so a crash or a failing handler never loses it.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';
import { jobsQueued } from '../core/wakeup.js';

export const FLOW_EDGE_JOB = 'flow-edge';
export type FlowEdge = 'test-run-started' | 'test-run-ended' | 'build-ended' | 'release-settled';
/** Only ids: what a handler needs is read when it runs (no config or secrets wait in the queue). */
export interface FlowEdgeJob { edge: FlowEdge; id: string }

/** A due time before any clock's now: the job is due at once whatever the clocks of replicas and database say. */
const DUE_AT_ONCE = '1970-01-01T00:00:00.000Z';

/** Tries a handler gets; it is idempotent, so a retry after a partial run is safe. */
const EDGE_ATTEMPTS = 6;

/** The key of the follow-up job of `edge` for `id`: one per edge and id. */
export const flowEdgeKey = (edge: FlowEdge, id: string): string => `edge:${edge}:${id}`;

/**
 * The key of what a follow-up publishes (`what`: an event's kind): a follow-up runs again when another
 * handler of its edge threw, and a row under this key (an app webhook delivery, a pipeline event) is
 * written once however often it runs.
 */
export const edgeEventKey = (edge: FlowEdge, id: string, what: string): string => `${flowEdgeKey(edge, id)}:${what}`;

/** Queue the follow-ups of `edge` for `id` (once per edge and id, inside the caller's transaction). */
export async function writeFlowEdge(trx: Kysely<Database> | Transaction<Database>, edge: FlowEdge, id: string): Promise<void> {
  const payload: FlowEdgeJob = { edge, id };
  await trx.insertInto('jobs').values({
    id: newId(), kind: FLOW_EDGE_JOB, key: flowEdgeKey(edge, id), payload: JSON.stringify(payload), status: 'queued', max_attempts: EDGE_ATTEMPTS,
    run_after: DUE_AT_ONCE, lease_owner: null, lease_expires_at: null, last_error: null, created_at: now(), updated_at: now(),
  }).onConflict((oc) => oc.column('key').doNothing()).execute();
}

/** Run `fn` in a transaction that may write flow edges; once it committed, this process's runners look for them at once. */
export async function withFlowEdges<T>(db: Kysely<Database>, fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  const result = await db.transaction().execute(fn);
  jobsQueued.notify();
  return result;
}
