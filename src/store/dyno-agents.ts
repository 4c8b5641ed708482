// The agents table as dyno placement needs it: the embedded agent's row, capacity and liveness.
// (The agents part owns the table, tokens and registration of remote agents.)
import type { Kysely } from 'kysely';
import type { Database, AgentsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type AgentRow = AgentsTable;

/** The agent named `name`, created on first use (idempotent: a restart finds the same row), seen now. */
export async function ensureAgent(db: Kysely<Database>, name: string, capacity: { slots: number | null; memoryMb: number | null } = { slots: null, memoryMb: null }): Promise<AgentRow> {
  await db.insertInto('agents').values({ id: newId(), name, slots: capacity.slots, memory_mb: capacity.memoryMb, last_seen_at: now(), revoked_at: null, created_at: now() })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_seen_at: now() })).execute();
  return db.selectFrom('agents').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
}

export const listAgents = (db: Kysely<Database>): Promise<AgentRow[]> => db.selectFrom('agents').selectAll().orderBy('name').execute();

/** Usable for dynos: not revoked, and heard from within `lostAfterMs`. */
export const agentUsable = (a: AgentRow, lostAfterMs: number, at = Date.now()): boolean =>
  !a.revoked_at && !!a.last_seen_at && at - Date.parse(a.last_seen_at) <= lostAfterMs;
