// Formation — Heroku Platform API v3: how many dynos of each process type, and their size.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { getApp, type App } from '../store/apps.js';
import { currentRelease } from '../store/releases.js';
import { getFormation, scaleFormation, type Formation } from '../store/formation.js';
import { goLive } from '../releases/deploy.js';
import { lookupDynoSize } from '../core/dyno-size.js';
import { fail } from '../core/errors.js';
import { keyProblem } from '../core/tenant-keys.js';
import type { AppContext } from '../app-context.js';
import { parseBody } from './errors.js';
import { publishAppEvent } from '../webhooks/publish.js';

const processType = z.string().regex(/^[A-Za-z0-9_-]+$/);
const change = { quantity: z.coerce.number().int().min(0).max(100).optional(), size: z.string().optional() };

export async function formationRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const formationJson = (a: App, f: Formation) => ({ app: { id: a.id, name: a.name }, type: f.type, quantity: f.quantity, size: f.size, updated_at: f.updated_at });

  /** Check the types against the current release and the sizes against Heroku's; then scale and go live. */
  const update = async (a: App, updates: { type: string; quantity?: number; size?: string }[]) => {
    const reserved = updates.map((u) => keyProblem('process type', u.type)).find(Boolean);
    if (reserved) throw fail('invalid_key', `Invalid formation: ${reserved}.`);
    const current = await currentRelease(db, a.id);
    const types = current?.slug_id ? Object.keys(JSON.parse((await db.selectFrom('slugs').select('process_types').where('id', '=', current.slug_id).executeTakeFirstOrThrow()).process_types) as object) : [];
    const unknown = updates.find((u) => !types.includes(u.type));
    if (unknown) throw fail('invalid_params', `No process type "${unknown.type}" in the current release${types.length ? ` (it has ${types.join(', ')})` : ''}; declare it in the Procfile.`);
    const checked = updates.map((u) => {
      if (u.size === undefined) return u;
      const r = lookupDynoSize(u.size);
      if (!r.ok) throw fail('invalid_params', `${r.message} (size of ${u.type})`);
      return { ...u, size: r.size.name };
    });
    const f = await scaleFormation(db, a.id, checked);
    await goLive(ctx, a);
    for (const x of f.filter((y) => updates.some((u) => u.type === y.type))) await publishAppEvent(ctx, { appId: a.id, include: 'api:formation', resource: 'formation', action: 'update', data: formationJson(a, x) });
    return f;
  };

  app.get<{ Params: { app: string } }>('/apps/:app/formation', async (req) => {
    const a = await getApp(db, req.params.app);
    const list = (await getFormation(db, a.id)).map((f) => formationJson(a, f));
    // As on Heroku, a Procfile `release:` shows as a formation of 0 (releases:retry looks for it).
    const current = await currentRelease(db, a.id);
    const slug = current?.slug_id ? await db.selectFrom('slugs').select('process_types').where('id', '=', current.slug_id).executeTakeFirst() : undefined;
    const release = slug ? (JSON.parse(slug.process_types) as Record<string, string>)['release'] : undefined;
    if (release && !list.some((f) => f.type === 'release')) list.push({ app: { id: a.id, name: a.name }, type: 'release', quantity: 0, size: 'standard-1x', updated_at: current!.created_at });
    return list;
  });
  app.get<{ Params: { app: string; type: string } }>('/apps/:app/formation/:type', async (req) => {
    const a = await getApp(db, req.params.app);
    const f = (await getFormation(db, a.id)).find((x) => x.type === req.params.type);
    if (!f) throw fail('not_found', `No formation for process type "${req.params.type}" on ${a.name}; scale it first (\`slipway ps:scale ${req.params.type}=1 -a ${a.name}\`).`);
    return formationJson(a, f);
  });
  app.patch<{ Params: { app: string } }>('/apps/:app/formation', async (req) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ updates: z.array(z.object({ type: processType, ...change })).min(1) }), req.body);
    return (await update(a, b.updates)).map((x) => formationJson(a, x));
  });
  app.patch<{ Params: { app: string; type: string } }>('/apps/:app/formation/:type', async (req) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object(change), req.body);
    const f = await update(a, [{ type: req.params.type, ...b }]);
    return formationJson(a, f.find((x) => x.type === req.params.type)!);
  });
}
