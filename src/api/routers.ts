// Routers, for the operator (admin API): create one (its token is shown once), list them, revoke
// one (its token stops working at once and its table stream is cut).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import type { AppContext } from '../app-context.js';
import { ROUTER_NAME, createRouter, listRouters, revokeRouter, type RouterRow } from '../store/routers.js';
import { parseBody } from './errors.js';

const createSchema = z.object({ name: z.string().regex(ROUTER_NAME, 'lower-case letters, digits and -, starting with a letter or digit, at most 63') });
const json = (r: RouterRow) => ({ id: r.id, name: r.name, created_at: r.created_at, revoked_at: r.revoked_at, last_seen_at: r.last_seen_at });

export async function routerAdminRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  app.get('/routers', async () => (await listRouters(db)).map(json));
  app.post('/routers', async (req, reply) => {
    const { name } = parseBody(createSchema, req.body);
    const { router, token } = await createRouter(db, name);
    return reply.status(201).send({ ...json(router), token });
  });
  app.delete<{ Params: { name: string } }>('/routers/:name', async (req) => json(await revokeRouter(db, req.params.name)));
}
