// Add-ons of an app: `heroku-postgresql` and `heroku-redis`, attached as <NAME>_URL (a config var,
// so attaching or removing one is a release, as on Heroku).
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { getApp, patchConfigVars, type App } from '../store/apps.js';
import { deleteAppAddon, getAppAddon, listAppAddons, type AppAddon } from '../store/app-addons.js';
import { releaseConfigChange } from '../releases/deploy.js';
import { attachAddon } from '../releases/attach-addon.js';
import type { AppContext } from '../app-context.js';
import { parseBody } from './errors.js';
import { publishAppEvent } from '../webhooks/publish.js';

// Add-ons run on the user's own machines: no price.
const FREE = { cents: 0, unit: 'month', contract: false };

export const addonJson = (app: App, a: AppAddon) => ({
  id: a.id, name: `${a.plan.split(':')[0]}-${a.id.slice(0, 8)}`, addon_service: { name: a.plan.split(':')[0] }, plan: { name: a.plan, price: FREE }, billed_price: FREE,
  app: { id: app.id, name: app.name }, billing_entity: { id: app.id, name: app.name, type: 'app' }, config_vars: [`${a.name}_URL`], attachment: { name: a.name }, state: 'provisioned', provider: a.provider,
  created_at: a.created_at, updated_at: a.created_at,
  // Slipway's own: its server as its supervisor last reported it (none for a database on the operator's server).
  server: a.provider === 'server-postgres' ? null : { state: a.server_state ?? 'up', restarts: a.restarts ?? 0, last_exit: a.last_exit ?? null, changed_at: a.server_changed_at ?? null },
});

/** An attachment as Heroku's `addon-attachment` resource, for app webhooks. */
const attachmentData = (app: App, a: AppAddon) => ({
  id: a.id, name: a.name, app: { id: app.id, name: app.name }, addon: { id: a.id, name: addonJson(app, a).name, app: { id: app.id, name: app.name } }, created_at: a.created_at, updated_at: a.created_at,
});

export async function addonRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  app.get<{ Params: { app: string } }>('/apps/:app/addons', async (req) => {
    const a = await getApp(db, req.params.app);
    return (await listAppAddons(db, a.id)).map((x) => addonJson(a, x));
  });

  app.post<{ Params: { app: string } }>('/apps/:app/addons', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    // The heroku CLI sends `plan: {name}` and an attachment without a name unless --as is given.
    const plan = z.union([z.string().min(1), z.object({ name: z.string().min(1) }).transform((o) => o.name)]);
    const b = parseBody(z.object({ plan, attachment: z.object({ name: z.string().min(1).optional() }).optional() }).passthrough(), req.body);
    const row = await attachAddon(ctx, a, b.plan, b.attachment?.name);
    await releaseConfigChange(ctx, a, `Attach ${row.name} (${b.plan})`, req.actor?.name);
    await publishAppEvent(ctx, { appId: a.id, include: 'api:addon-attachment', resource: 'addon-attachment', action: 'create', data: attachmentData(a, row), actor: req.actor?.name });
    return reply.status(201).send(addonJson(a, row));
  });

  app.delete<{ Params: { app: string; addon: string } }>('/apps/:app/addons/:addon', async (req) => {
    const a = await getApp(db, req.params.app);
    const addon = await getAppAddon(db, a.id, req.params.addon);
    await ctx.appAddons.destroyForApp(addon);
    await deleteAppAddon(db, addon.id);
    if (await patchConfigVars(db, a.id, { [`${addon.name}_URL`]: null })) await releaseConfigChange(ctx, a, `Detach ${addon.name} (${addon.plan})`, req.actor?.name);
    await publishAppEvent(ctx, { appId: a.id, include: 'api:addon-attachment', resource: 'addon-attachment', action: 'destroy', data: attachmentData(a, addon), actor: req.actor?.name });
    return { ...addonJson(a, addon), state: 'deprovisioned' };
  });
}
