// Agents and their tokens (their own kind: they open /agent/v1/* and nothing else), what each
// reported at registration, when it was last seen, and the event batches recorded per job.
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { AgentsTable, Database } from './schema.js';
import { hashToken, newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { now } from './db.js';
import { freeSpaceSlice, SPACES_LABEL } from './dyno-agents.js';

export type Agent = AgentsTable;
export const AGENT_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** The job owner an agent's claims carry: the server tells its jobs apart from the embedded runner's by it. */
export const agentOwnerPrefix = (agentId: string): string => `agent:${agentId}/`;

/**
 * A new agent and its token, returned only this once (stored as a hash, like API tokens). `spaces`:
 * the operator lets it run private spaces (a label and a slice of every space's range, given here
 * and never claimable by the agent itself).
 */
export async function createAgent(db: Kysely<Database>, name: string, o: { spaces?: boolean } = {}): Promise<{ agent: Agent; token: string }> {
  if (await db.selectFrom('agents').select('id').where('name', '=', name).executeTakeFirst()) throw fail('name_taken', `An agent named ${name} exists already; choose another name, or revoke it first and create the new one under another name.`);
  const token = 'slpa_' + randomBytes(24).toString('base64url');
  const id = newId();
  const spaces = o.spaces ? { labels: JSON.stringify([SPACES_LABEL]), space_slice: await freeSpaceSlice(db, id) } : { labels: null, space_slice: null };
  const agent: Agent = { id, name, token_hash: hashToken(token), created_at: now(), revoked_at: null, last_seen_at: null, protocol_version: null, slots: null, memory_mb: null, address: null, hostname: null, ...spaces };
  await db.insertInto('agents').values(agent).execute();
  return { agent, token };
}

/** The row of the embedded agent, made once: it has no token and is never offered work over HTTP. */
export async function ensureLocalAgent(db: Kysely<Database>, facts: { name: string; hostname: string; slots: number }): Promise<void> {
  await db.insertInto('agents').values({ id: newId(), name: facts.name, token_hash: null, created_at: now(), revoked_at: null, last_seen_at: now(), protocol_version: null, slots: facts.slots, memory_mb: null, address: null, hostname: facts.hostname, labels: null })
    .onConflict((oc) => oc.column('name').doUpdateSet({ last_seen_at: now(), slots: facts.slots, hostname: facts.hostname })).execute();
}

export async function getAgentByName(db: Kysely<Database>, name: string): Promise<Agent> {
  const a = await db.selectFrom('agents').selectAll().where('name', '=', name).executeTakeFirst();
  if (!a) throw fail('agent_not_found', `No agent is named ${name}. \`slipway agents\` lists them.`);
  return a;
}

/** Every agent with how many jobs it holds now. */
export async function listAgents(db: Kysely<Database>): Promise<Array<Agent & { running: number }>> {
  const agents = await db.selectFrom('agents').selectAll().orderBy('created_at').execute();
  const held = await db.selectFrom('jobs').select('lease_owner').where('status', '=', 'running').where('lease_owner', 'like', 'agent:%').execute();
  const embedded = await db.selectFrom('jobs').select((eb) => eb.fn.countAll<number>().as('n')).where('status', '=', 'running').where('lease_owner', 'not like', 'agent:%')
    .where('kind', 'in', ['test-node', 'build', 'release-phase']).executeTakeFirstOrThrow();
  // The embedded agent (no token) holds what the server's own runner holds.
  return agents.map((a) => ({ ...a, running: a.token_hash === null ? Number(embedded.n) : held.filter((j) => j.lease_owner?.startsWith(agentOwnerPrefix(a.id))).length }));
}

/** Revoke for good: the token stops working at once (the row stays, for history). */
export async function revokeAgent(db: Kysely<Database>, name: string): Promise<Agent> {
  const a = await getAgentByName(db, name);
  if (a.revoked_at) return a;
  // Its slice of the spaces' ranges is free for another agent (its dynos end with it).
  await db.updateTable('agents').set({ revoked_at: now(), space_slice: null }).where('id', '=', a.id).execute();
  return { ...a, revoked_at: now(), space_slice: null };
}

/** The agent a presented token belongs to, revoked ones included (the caller refuses them). */
export async function agentForToken(db: Kysely<Database>, token: string): Promise<Agent | undefined> {
  return db.selectFrom('agents').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
}

/** What an agent says of itself when it registers. */
export async function recordRegistration(db: Kysely<Database>, id: string, r: { protocolVersion: number; slots: number; memoryMb: number | null; address: string | null; hostname: string | null; labels: string[] }): Promise<void> {
  // Labels in Slipway's own namespace are the server's to give (`slipway:spaces`), never an agent's claim: those it gave stay.
  const row = await db.selectFrom('agents').select('labels').where('id', '=', id).executeTakeFirst();
  const given = (JSON.parse(row?.labels ?? '[]') as string[]).filter((l) => l.startsWith('slipway:'));
  const labels = [...given, ...r.labels.filter((l) => !l.startsWith('slipway:'))];
  await db.updateTable('agents').set({ protocol_version: r.protocolVersion, slots: r.slots, memory_mb: r.memoryMb, address: r.address, hostname: r.hostname, labels: labels.length ? JSON.stringify(labels) : null, last_seen_at: now() })
    .where('id', '=', id).execute();
}

export async function touchAgent(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('agents').set({ last_seen_at: now() }).where('id', '=', id).execute();
}

/** Where a job's event batches are: the last sequence number recorded (0: none yet). */
export async function lastBatch(db: Kysely<Database>, jobId: string): Promise<number> {
  const r = await db.selectFrom('agent_event_batches').select('last_seq').where('job_id', '=', jobId).executeTakeFirst();
  return r ? Number(r.last_seq) : 0;
}

export async function markBatch(db: Kysely<Database>, jobId: string, seq: number): Promise<void> {
  await db.insertInto('agent_event_batches').values({ job_id: jobId, last_seq: seq, updated_at: now() })
    .onConflict((oc) => oc.column('job_id').doUpdateSet({ last_seq: seq, updated_at: now() })).execute();
}
