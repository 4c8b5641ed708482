// Agents, for the operator (admin API): create one (its token is shown once), list them with their
// state, revoke one (its token stops working at once; the jobs it held end as runner lost).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import type { AppContext } from '../app-context.js';
import { AGENT_NAME, agentOwnerPrefix, createAgent, getAgentByName, listAgents, revokeAgent, type Agent } from '../store/agents.js';
import { agentState } from '../core/agent-state.js';
import { recoverLostWork } from '../ci/recover.js';
import { parseBody } from './errors.js';

const createSchema = z.object({ name: z.string().regex(AGENT_NAME, 'lower-case letters, digits and -, starting with a letter or digit, at most 63'), spaces: z.boolean().optional() });

export async function agentAdminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const json = (a: Agent, running?: number) => ({
    id: a.id, name: a.name, state: agentState(a, Date.now(), ctx.config.leaseMs), created_at: a.created_at, revoked_at: a.revoked_at, last_seen_at: a.last_seen_at,
    protocol_version: a.protocol_version, slots: a.slots, memory_mb: a.memory_mb, address: a.address, hostname: a.hostname,
    labels: a.labels ? JSON.parse(a.labels) as string[] : [], embedded: a.token_hash === null, space_slice: a.space_slice ?? null, ...(running !== undefined ? { running_jobs: running } : {}),
  });

  app.get('/agents', async () => (await listAgents(db)).map((a) => json(a, a.running)));

  app.post('/agents', async (req, reply) => {
    const { name, spaces } = parseBody(createSchema, req.body);
    const { agent, token } = await createAgent(db, name, { spaces });
    return reply.status(201).send({ ...json(agent), token });
  });

  app.get<{ Params: { name: string } }>('/agents/:name', async (req) => json(await getAgentByName(db, req.params.name)));

  app.delete<{ Params: { name: string } }>('/agents/:name', async (req) => {
    const agent = await revokeAgent(db, req.params.name);
    // Its processes cannot report any more: what they held ends now (test nodes errored "runner lost", builds failed).
    await recoverLostWork(ctx, `revoked:${agent.id}`, agentOwnerPrefix(agent.id));
    return json(agent);
  });
}
