// The agents table as dyno placement needs it: the embedded agent's row, capacity and liveness.
// (The agents part owns the table, tokens and registration of remote agents.)
import type { Kysely } from 'kysely';
import type { Database, AgentsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';
import { fail } from '../core/errors.js';
import { meansThisHost } from '../core/this-host-address.js';

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

/**
 * An agent that runs private spaces: the local agent process `slipway server` runs beside itself
 * (given when its token is minted), or a remote agent the operator allowed (`agents:create --spaces`).
 */
export const SPACES_LABEL = 'slipway:spaces';

/** The local agent process beside the server (and its router): it may report its dynos at their own addresses on the server's host. */
export const LOCAL_LABEL = 'slipway:local';

/** How many hosts one space can span: each spaces agent holds one slice of every space's /16 (a /22, cidr.ts). */
export const SPACE_SLICES = 64;

/** The lowest slice no other agent holds (a revoked one gave its slice up), for agent `id`; an error when all are held. */
export async function freeSpaceSlice(db: Kysely<Database>, id?: string): Promise<number> {
  const held = new Set((await db.selectFrom('agents').select(['id', 'space_slice']).where('space_slice', 'is not', null).execute())
    .filter((a) => a.id !== id).map((a) => Number(a.space_slice)));
  for (let i = 0; i < SPACE_SLICES; i++) if (!held.has(i)) return i;
  throw fail('agent_space_slices_full', `${SPACE_SLICES} agents run private spaces already (each holds a slice of every space's range); revoke one that is gone (\`slipway agents:revoke NAME\`) before you allow another.`);
}

export const labelled = (a: Pick<AgentRow, 'labels'>, label: string): boolean => (JSON.parse(a.labels ?? '[]') as string[]).includes(label);

/** Whether an agent is the server's own (it reaches private spaces' networks and add-on servers). */
export const serverAgent = (a: Pick<AgentRow, 'labels'>): boolean => labelled(a, SERVER_LABEL);

/** Whether an agent runs private spaces' networks: a local agent process, or the server's own agent without one. */
export const spacesHost = (a: Pick<AgentRow, 'labels'>): boolean => labelled(a, SPACES_LABEL) || serverAgent(a);

/**
 * The agents a space app's dynos may run on: every usable agent that runs spaces; but once some of
 * them are on the overlay (they advertise an address other hosts reach), only those: a host off it
 * (the local agent process reaching the server on loopback) would hold dynos the others cannot reach.
 */
export function spaceHosts<A extends Pick<AgentRow, 'id' | 'labels' | 'address'>>(agents: readonly A[], usable: (a: A) => boolean): Set<string> {
  const all = agents.filter((a) => spacesHost(a) && usable(a));
  const joined = all.filter((a) => !serverAgent(a) && !!a.address && !meansThisHost(a.address));
  return new Set((joined.length ? joined : all).map((a) => a.id));
}

export const listAgents = (db: Kysely<Database>): Promise<AgentRow[]> => db.selectFrom('agents').selectAll().orderBy('name').execute();

/**
 * Usable for dynos: not revoked, registered (the server's own agents need not: they run in it), and
 * heard from within `lostAfterMs`. Any request with an agent's token counts as heard from, so an
 * agent that never registered (a token just created, or used by hand) is never given work.
 */
export const agentUsable = (a: AgentRow, lostAfterMs: number, at = Date.now()): boolean =>
  !a.revoked_at && (a.protocol_version !== null || serverAgent(a)) && !!a.last_seen_at && at - Date.parse(a.last_seen_at) <= lostAfterMs;
