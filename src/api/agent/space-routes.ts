// The agent protocol's spaces route: an agent the operator allowed to run private spaces reads every
// space and which apps are in which, and its part in the overlay that joins the spaces hosts (its
// slice of each range, its peers, the spaces' dynos on them), long-polled on an ETag as its dynos are.
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { fail } from '../../core/errors.js';
import { LOCAL_LABEL, labelled } from '../../store/dyno-agents.js';
import { spacePlanFor, type AgentSpacePlan } from '../../store/space-fabric.js';
import type { SpacesPlanResponse } from '../../agent/protocol.js';
import { parseBody } from '../errors.js';
import { agentOf } from './agent-auth.js';
import { dynosQuerySchema } from './wire-schema.js';
import { pollTag } from './etag-poll.js';

export async function agentSpaceRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  // Long poll: with If-None-Match, the answer waits (up to wait_ms) until the plan differs; 304 if it never does.
  app.get('/agent/v1/spaces', async (req, reply) => {
    const agent = agentOf(req);
    const q = parseBody(dynosQuerySchema, req.query);
    let plan: AgentSpacePlan | undefined;
    const { tag, unchanged } = await pollTag(req, q.wait_ms ?? 0, async () => {
      plan = await spacePlanFor(db, agent.id, ctx.config.agentLostMs);
      if (!plan) throw fail('agent_not_spaces', `Agent ${agent.name} is not allowed to run private spaces; the operator allows an agent when creating it (\`slipway agents:create NAME --spaces\`).`);
      return `"${createHash('sha256').update(JSON.stringify(plan)).digest('base64url').slice(0, 22)}"`;
    });
    if (unchanged) return reply.status(304).header('etag', tag).send();
    const row = await db.selectFrom('agents').select('labels').where('id', '=', agent.id).executeTakeFirstOrThrow();
    return reply.header('etag', tag).send({ etag: tag, local: labelled(row, LOCAL_LABEL), ...plan! } satisfies SpacesPlanResponse);
  });
}
