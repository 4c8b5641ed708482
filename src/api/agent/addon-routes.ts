// The agent protocol's add-on route: the agent that runs apps' add-on servers (the local agent
// process) reports each one's supervision (addons/addon-supervisor.ts) — its state, restarts and how
// its process last ended — into the add-on's row. Only the rows of add-ons this agent runs are written.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { setAddonServerStatus } from '../../store/app-addons.js';
import { parseBody } from '../errors.js';
import { agentOf } from './agent-auth.js';
import { addonStatusSchema } from './wire-schema.js';

export async function agentAddonRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.put('/agent/v1/addons/status', async (req) => {
    const agent = agentOf(req);
    const r = parseBody(addonStatusSchema, req.body);
    let unknown = 0;
    for (const { id, ...s } of r.addons) if (!await setAddonServerStatus(ctx.store.db, id, agent.id, s)) unknown++;
    return { ok: true, unknown };
  });
}
