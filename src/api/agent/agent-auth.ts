// Agent tokens open /agent/v1/* and nothing else (the API's own check refuses them everywhere
// else: they are not API tokens); API tokens do not open /agent/v1/*. A revoked token stops at once.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { presentedToken } from '../auth.js';
import { agentForToken, touchAgent } from '../../store/agents.js';
import { noteSignInFailure, sendTooMany, signInBlockedFor } from '../sign-in-throttle.js';
import { INSTANCE_HEADER } from '../../agent/protocol.js';

declare module 'fastify' {
  interface FastifyRequest { agent?: { id: string; name: string; owner: string } }
}

/** The authenticated agent of a request on an agent route. */
export const agentOf = (req: FastifyRequest): { id: string; name: string; owner: string } => req.agent!;

const INSTANCE = /^[A-Za-z0-9_-]{1,64}$/;

/** Check the agent token (and the instance header) on every route of this plugin. */
export function registerAgentAuth(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', async (req, reply) => {
    const token = presentedToken(req);
    if (token) {
      const wait = await signInBlockedFor(ctx.store.db, req, token);
      if (wait) return sendTooMany(reply, wait);
    }
    const agent = token ? await agentForToken(ctx.store.db, token) : undefined;
    if (!agent || agent.revoked_at) {
      if (token) await noteSignInFailure(ctx.store.db, req, token);
      const message = agent?.revoked_at
        ? `This agent token (agent ${agent.name}) was revoked on ${agent.revoked_at}. Create a new agent with \`slipway agents:create NAME\` and start the agent with its token.`
        : 'Not an agent token. Agents authenticate with the token `slipway agents:create NAME` printed (API tokens do not work here).';
      return reply.status(401).header('www-authenticate', 'Bearer realm="slipway-agent"').send({ id: 'unauthorized', message });
    }
    const instance = req.headers[INSTANCE_HEADER];
    if (typeof instance !== 'string' || !INSTANCE.test(instance)) {
      return reply.status(400).send({ id: 'invalid_params', message: `Every agent request names its agent process in the ${INSTANCE_HEADER} header (1-64 letters, digits, _ or -).` });
    }
    req.agent = { id: agent.id, name: agent.name, owner: `agent:${agent.id}/${instance}` };
    await touchAgent(ctx.store.db, agent.id);
  });
}
