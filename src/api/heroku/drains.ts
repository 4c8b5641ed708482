// Log drains (`heroku drains`, `drains:add`, `drains:remove`): Platform API v3 /apps/{app}/log-drains.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { getApp, type App } from '../../store/apps.js';
import { addLogDrain, listLogDrains, removeLogDrain, type LogDrain } from '../../store/log-drains.js';
import { fail } from '../../core/errors.js';
import type { AppContext } from '../../app-context.js';
import { parseBody } from '../errors.js';

/** Why a drain URL cannot be used, or undefined: syslog:// and syslog+tls:// need a host and port; http(s):// a host. */
export function drainUrlProblem(raw: string): string | undefined {
  let u: URL;
  try { u = new URL(raw); } catch { return `"${raw}" is not a URL; a drain is syslog://HOST:PORT, syslog+tls://HOST:PORT or https://HOST/PATH.`; }
  if (u.protocol === 'syslog:' || u.protocol === 'syslog+tls:') return u.hostname && u.port ? undefined : `${raw} needs a host and a port (syslog://HOST:PORT).`;
  if (u.protocol === 'https:' || u.protocol === 'http:') return u.hostname ? undefined : `${raw} needs a host.`;
  return `${u.protocol}// drains are not supported; use syslog://, syslog+tls:// or https://.`;
}

const drainJson = (a: App, d: LogDrain) => ({ id: d.id, url: d.url, token: d.token, addon: null, app: { id: a.id, name: a.name }, created_at: d.created_at, updated_at: d.updated_at });

export async function drainRoutes(app: FastifyInstance, ctx: Pick<AppContext, 'store' | 'drains'>): Promise<void> {
  const db = ctx.store.db;
  app.get<{ Params: { app: string } }>('/apps/:app/log-drains', async (req) => {
    const a = await getApp(db, req.params.app);
    return (await listLogDrains(db, a.id)).map((d) => drainJson(a, d));
  });
  app.post<{ Params: { app: string } }>('/apps/:app/log-drains', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ url: z.string().min(1).max(2048) }).passthrough(), req.body);
    const problem = drainUrlProblem(b.url);
    if (problem) throw fail('invalid_params', problem);
    const d = await addLogDrain(db, a.id, b.url);
    await ctx.drains.sync();
    return reply.status(201).send(drainJson(a, d));
  });
  app.delete<{ Params: { app: string; drain: string } }>('/apps/:app/log-drains/:drain', async (req) => {
    const a = await getApp(db, req.params.app);
    const d = await removeLogDrain(db, a.id, req.params.drain);
    await ctx.drains.sync();
    return drainJson(a, d);
  });
}
