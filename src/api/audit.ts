// The audit log: every successful change made through the API, git or the dashboard is recorded
// with who made it (the principal, or what stood for one: a signed URL, a git host's webhook),
// what it was, when and from which address. `GET /audit` lists it; old events are pruned.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { auditedChange } from '../core/audit-actions.js';
import { listAuditEvents, pruneAuditEvents, recordAuditEvent } from '../store/audit-events.js';
import { getApp } from '../store/apps.js';
import { fail } from '../core/errors.js';

declare module 'fastify' {
  interface FastifyRequest { auditApp?: { id: string; name: string } }
}

const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The app a request is about, by its `:app` (or git's `:repo`) parameter, while it still exists. */
async function appOf(ctx: AppContext, req: FastifyRequest): Promise<{ id: string; name: string } | undefined> {
  const p = (req.params ?? {}) as Record<string, string | undefined>;
  const ref = p['app'] ?? p['repo']?.replace(/\.git$/, '');
  if (!ref) return undefined;
  const a = await getApp(ctx.store.db, ref).catch(() => undefined);
  return a ? { id: a.id, name: a.name } : undefined;
}

function actorOf(req: FastifyRequest): { actor: string; actor_id: string | null } {
  const p = req.principal;
  // The token (authorization) used is kept with the user: a write names the credential that made it.
  if (p) return { actor: p.email ?? p.tokenName, actor_id: p.tokenId };
  if (req.actor) return { actor: req.actor.name, actor_id: req.actor.id };
  const route = req.routeOptions.url ?? '';
  if (route.startsWith('/hooks/')) return { actor: `${route.slice('/hooks/'.length)} webhook`, actor_id: null };
  // A dashboard sign-in: the email it was for (a token signing in is not written down).
  const email = (req.body as Record<string, unknown> | undefined)?.['email'];
  if (route === '/login') return { actor: typeof email === 'string' && email ? email : 'token sign-in', actor_id: null };
  if (new URL(req.url, 'http://x').searchParams.has('sig')) return { actor: 'signed URL', actor_id: null };
  return { actor: 'anonymous', actor_id: null };
}

/** Record every change made through `app` (hooks; register before the routes). */
export function registerAuditLog(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('preHandler', async (req) => {
    if (WRITES.has(req.method)) req.auditApp = await appOf(ctx, req);
  });
  app.addHook('onResponse', async (req, reply) => {
    const change = auditedChange(req.method, req.routeOptions.url, reply.statusCode, req.body);
    if (!change) return;
    const app = req.auditApp ?? (reply.statusCode < 300 ? await appOf(ctx, req) : undefined);
    await recordAuditEvent(ctx.store.db, {
      ...actorOf(req), action: change.action, app_id: app?.id ?? null, app_name: app?.name ?? null,
      target: new URL(req.url, 'http://x').pathname, details: change.details ? JSON.stringify(change.details) : null, ip: req.ip ?? null,
    }).catch((e) => ctx.log.error(`audit log: recording ${change.action}: ${(e as Error).message}`));
  });
  ctx.leader.every('audit retention', 3600_000, () => pruneAuditEvents(ctx.store.db, ctx.config.auditRetentionDays));
}

/** `GET /audit[?app=NAME&limit=N]`: the newest changes first (admins only). */
export async function auditRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { app?: string; limit?: string } }>('/audit', async (req) => {
    if (!req.principal?.admin) throw fail('admin_only', 'Only a Slipway admin reads the audit log.');
    const limit = Math.min(1000, Math.max(1, Number(req.query.limit ?? 100) || 100));
    const appId = req.query.app ? (await getApp(ctx.store.db, req.query.app)).id : undefined;
    return (await listAuditEvents(ctx.store.db, { appId, limit })).map((e) => ({ ...e, details: e.details ? JSON.parse(e.details) as unknown : null }));
  });
}
