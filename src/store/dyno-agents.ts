// The agents table as dyno placement needs it: the embedded agent's row, capacity and liveness.
// (The agents part owns the table, tokens and registration of remote agents.)
import type { Kysely } from 'kysely';
import type { Database, AgentsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type AgentRow = AgentsTable;

/** The agent named `name`, created on first use (idempotent: a restart finds the same row), seen now. */
export async function ensureAgent(db: Kysely<Database>, name: string, capacity: { slots: number | null; memoryMb: number | null } = { slots: null, memoryMb: null }): Promise<AgentRow> {
  // The server's own agent reaches what lives in the server process (private spaces' networks, add-on servers).
  const labels = JSON.stringify([SERVER_LABEL]);
  await db.insertInto('agents').values({ id: newId(), name, slots: capacity.slots, memory_mb: capacity.memoryMb, last_seen_at: now(), revoked_at: null, created_at: now(), labels })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_seen_at: now(), labels })).execute();
  return db.selectFrom('agents').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
}

/** The label only the server's own agent carries (an agent that registers cannot claim it). */
export const SERVER_LABEL = 'slipway:server';

/** The local agent process `slipway server` runs beside itself: it owns this host's private spaces (given when its token is minted). */
export const SPACES_LABEL = 'slipway:spaces';

const labelled = (a: Pick<AgentRow, 'labels'>, label: string): boolean => (JSON.parse(a.labels ?? '[]') as string[]).includes(label);

/** Whether an agent is the server's own (it reaches private spaces' networks and add-on servers). */
export const serverAgent = (a: Pick<AgentRow, 'labels'>): boolean => labelled(a, SERVER_LABEL);

/** Whether an agent runs private spaces' networks: a local agent process, or the server's own agent without one. */
export const spacesHost = (a: Pick<AgentRow, 'labels'>): boolean => labelled(a, SPACES_LABEL) || serverAgent(a);

export const listAgents = (db: Kysely<Database>): Promise<AgentRow[]> => db.selectFrom('agents').selectAll().orderBy('name').execute();

/**
 * Usable for dynos: not revoked, registered (the server's own agents need not: they run in it), and
 * heard from within `lostAfterMs`. Any request with an agent's token counts as heard from, so an
 * agent that never registered (a token just created, or used by hand) is never given work.
 */
export const agentUsable = (a: AgentRow, lostAfterMs: number, at = Date.now()): boolean =>
  !a.revoked_at && (a.protocol_version !== null || serverAgent(a)) && !!a.last_seen_at && at - Date.parse(a.last_seen_at) <= lostAfterMs;
