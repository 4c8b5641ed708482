// The agents table as dyno placement needs it: the embedded agent's row, capacity and liveness.
// (The agents part owns the table, tokens and registration of remote agents.)
import type { Kysely } from 'kysely';
import type { Database, AgentsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type AgentRow = AgentsTable;

/** The agent named `name`, created on first use (idempotent: a restart finds the same row), seen now. */
export async function ensureAgent(db: Kysely<Database>, name: string, capacity: { slots: number | null; memoryMb: number | null } = { slots: null, memoryMb: null }, o: { onlySpaces?: boolean } = {}): Promise<AgentRow> {
  // The server's own agent builds private spaces' networks (they live in the server process).
  const labels = JSON.stringify(o.onlySpaces ? [SPACES_LABEL, SPACES_ONLY_LABEL] : [SPACES_LABEL]);
  await db.insertInto('agents').values({ id: newId(), name, slots: capacity.slots, memory_mb: capacity.memoryMb, last_seen_at: now(), revoked_at: null, created_at: now(), labels })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_seen_at: now(), labels })).execute();
  return db.selectFrom('agents').selectAll().where('name', '=', name).executeTakeFirstOrThrow();
}

/** The label only the server's own agent carries (an agent that registers cannot claim it). */
export const SPACES_LABEL = 'slipway:spaces';

/** The server's agent beside a local agent process: it runs space apps' dynos and nothing else. */
export const SPACES_ONLY_LABEL = 'slipway:spaces-only';

/** Whether an agent can put dynos into private spaces' networks. */
export const hostsSpaces = (a: Pick<AgentRow, 'labels'>): boolean => (JSON.parse(a.labels ?? '[]') as string[]).includes(SPACES_LABEL);

/** Whether an agent takes space apps' dynos only. */
export const onlySpaces = (a: Pick<AgentRow, 'labels'>): boolean => (JSON.parse(a.labels ?? '[]') as string[]).includes(SPACES_ONLY_LABEL);

export const listAgents = (db: Kysely<Database>): Promise<AgentRow[]> => db.selectFrom('agents').selectAll().orderBy('name').execute();

/** Usable for dynos: not revoked, and heard from within `lostAfterMs`. */
export const agentUsable = (a: AgentRow, lostAfterMs: number, at = Date.now()): boolean =>
  !a.revoked_at && !!a.last_seen_at && at - Date.parse(a.last_seen_at) <= lostAfterMs;
