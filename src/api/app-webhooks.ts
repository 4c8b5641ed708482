// Heroku's app webhooks API (`/apps/{app}/webhooks`, `/webhook-deliveries`, `/webhook-events`), in
// the shapes the heroku CLI's `webhooks:*` commands read.
import type { FastifyInstance } from 'fastify';
import { randomBytes } from 'node:crypto';
import { z } from 'zod/v3';
import { getApp, type App } from '../store/apps.js';
import { deleteAppWebhook, getAppWebhook, insertAppWebhook, listAppWebhooks, listDeliveries, type AppWebhook, type AppWebhookDelivery } from '../store/app-webhooks.js';
import { checkInclude, LEVELS } from '../webhooks/event-types.js';
import { fail } from '../core/errors.js';
import { now } from '../store/db.js';
import type { AppContext } from '../app-context.js';
import { parseBody } from './errors.js';

const webhookJson = (a: Pick<App, 'id' | 'name'>, w: AppWebhook) => ({
  id: w.id, app: { id: a.id, name: a.name }, include: JSON.parse(w.include) as string[], level: w.level, url: w.url, created_at: w.created_at, updated_at: w.updated_at,
});
const deliveryJson = (d: AppWebhookDelivery, level: string) => ({
  id: d.id, created_at: d.created_at, updated_at: d.updated_at, status: d.status, num_attempts: d.num_attempts, next_attempt_at: d.next_attempt_at,
  event: { id: d.event_id, include: d.include }, webhook: { id: d.webhook_id, level },
  last_attempt: d.num_attempts ? { id: null, code: d.last_code, error_class: d.last_error, status: d.status === 'succeeded' ? 'succeeded' : 'failed', created_at: d.updated_at, updated_at: d.updated_at } : null,
});

/** An event as Heroku's `app-webhook-event`: the envelope a delivery carried, without its metadata. */
const eventJson = (d: AppWebhookDelivery) => {
  const e = JSON.parse(d.body) as Record<string, unknown>;
  const payload = Object.fromEntries(['action', 'actor', 'data', 'previous_data', 'published_at', 'resource', 'version'].map((k) => [k, e[k]]));
  return { id: d.event_id, include: d.include, created_at: d.created_at, updated_at: d.created_at, payload };
};

const url = z.string().max(2048).url().refine((u) => /^https?:$/.test(new URL(u).protocol), 'the receiver URL is http:// or https://');
const include = z.array(z.string().max(64)).max(20).transform((v, c) => {
  const r = checkInclude(v);
  if (!r.ok) { c.addIssue({ code: 'custom', message: r.message }); return z.NEVER; }
  return r.include;
});
const createBody = z.object({
  include, level: z.enum(LEVELS), url, secret: z.string().min(1).max(256).nullable().optional(), authorization: z.string().min(1).max(4096).nullable().optional(),
});
const updateBody = createBody.partial();

export async function appWebhookRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const levelOf = async (appId: string) => new Map((await listAppWebhooks(db, appId)).map((w) => [w.id, w.level]));

  app.post<{ Params: { app: string } }>('/apps/:app/webhooks', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(createBody, req.body);
    // As on Heroku: without a secret one is made, and shown once (the Heroku-Webhook-Secret header).
    const secret = b.secret ?? randomBytes(32).toString('hex');
    const w = await insertAppWebhook(db, { app_id: a.id, url: b.url, include: JSON.stringify(b.include), level: b.level, secret, authorization: b.authorization ?? null });
    if (!b.secret) reply.header('heroku-webhook-secret', secret);
    return reply.status(201).send(webhookJson(a, w));
  });
  app.get<{ Params: { app: string } }>('/apps/:app/webhooks', async (req) => {
    const a = await getApp(db, req.params.app);
    return (await listAppWebhooks(db, a.id)).map((w) => webhookJson(a, w));
  });
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/webhooks/:id', async (req) => {
    const a = await getApp(db, req.params.app);
    return webhookJson(a, await getAppWebhook(db, a.id, req.params.id));
  });
  app.patch<{ Params: { app: string; id: string } }>('/apps/:app/webhooks/:id', async (req) => {
    const a = await getApp(db, req.params.app);
    const w = await getAppWebhook(db, a.id, req.params.id);
    const b = parseBody(updateBody, req.body);
    await db.updateTable('app_webhooks').set({
      ...(b.include ? { include: JSON.stringify(b.include) } : {}), ...(b.level ? { level: b.level } : {}), ...(b.url ? { url: b.url } : {}),
      ...(b.secret ? { secret: b.secret } : {}), ...(b.authorization !== undefined ? { authorization: b.authorization } : {}), updated_at: now(),
    }).where('id', '=', w.id).execute();
    return webhookJson(a, await getAppWebhook(db, a.id, w.id));
  });
  app.delete<{ Params: { app: string; id: string } }>('/apps/:app/webhooks/:id', async (req) => {
    const a = await getApp(db, req.params.app);
    const w = await getAppWebhook(db, a.id, req.params.id);
    await deleteAppWebhook(db, w.id);
    return webhookJson(a, w);
  });

  app.get<{ Params: { app: string }; Querystring: Record<string, string> }>('/apps/:app/webhook-deliveries', async (req) => {
    const a = await getApp(db, req.params.app);
    const levels = await levelOf(a.id);
    return (await listDeliveries(db, a.id, { status: req.query['eq[status]'] })).map((d) => deliveryJson(d, levels.get(d.webhook_id) ?? 'notify'));
  });
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/webhook-deliveries/:id', async (req) => {
    const a = await getApp(db, req.params.app);
    const d = (await listDeliveries(db, a.id)).find((x) => x.id === req.params.id);
    if (!d) throw fail('not_found', `This app has no webhook delivery ${req.params.id}. List them with \`slipway webhooks:deliveries\`.`);
    return deliveryJson(d, (await levelOf(a.id)).get(d.webhook_id) ?? 'notify');
  });
  const events = async (appId: string) => {
    const seen = new Map<string, AppWebhookDelivery>();
    for (const d of await listDeliveries(db, appId)) if (!seen.has(d.event_id)) seen.set(d.event_id, d);
    return [...seen.values()].map(eventJson);
  };
  app.get<{ Params: { app: string } }>('/apps/:app/webhook-events', async (req) => events((await getApp(db, req.params.app)).id));
  app.get<{ Params: { app: string; id: string } }>('/apps/:app/webhook-events/:id', async (req) => {
    const e = (await events((await getApp(db, req.params.app)).id)).find((x) => x.id === req.params.id);
    if (!e) throw fail('not_found', `This app has no webhook event ${req.params.id}. List them with \`heroku webhooks:events\`.`);
    return e;
  });
}
