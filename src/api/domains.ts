// Heroku's `domains` and `sni-endpoints` resources: custom host names the router answers for, and
// the certificates (with keys, never shown again) it serves for them by SNI on its TLS port.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { getApp, type App } from '../store/apps.js';
import { deleteDomain, deleteSniEndpoint, getDomain, getSniEndpoint, insertDomain, insertSniEndpoint, listDomains, listSniEndpoints, setDomainEndpoint, type Domain, type SniEndpoint } from '../store/domains.js';
import { certCovers, checkHostname, readCertificate } from '../core/custom-domain.js';
import { fail } from '../core/errors.js';
import { now } from '../store/db.js';
import { publishAppEvent } from '../webhooks/publish.js';
import type { AppContext } from '../app-context.js';
import { parseBody } from './errors.js';

const details = (e: SniEndpoint) => readCertificate(e.certificate_chain, e.private_key);
const certBody = z.object({ certificate_chain: z.string().min(1).max(256 * 1024), private_key: z.string().min(1).max(64 * 1024) }).passthrough();
const checkCert = (b: z.infer<typeof certBody>) => {
  try { return readCertificate(b.certificate_chain, b.private_key); } catch (e) { throw fail('invalid_params', `Certificate refused: ${(e as Error).message}.`); }
};

export async function domainRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  // The DNS target: the router's own name for the app (a CNAME to it sends the domain to the router).
  const target = (a: App) => `${a.name}.${ctx.config.domain}`;
  const endpointsById = async (appId: string) => new Map((await listSniEndpoints(db, appId)).map((e) => [e.id, e]));
  const domainJson = (a: App, d: Domain, endpoints: Map<string, SniEndpoint>) => {
    const e = d.sni_endpoint_id ? endpoints.get(d.sni_endpoint_id) : undefined;
    return { id: d.id, hostname: d.hostname, kind: 'custom', cname: target(a), status: 'succeeded', acm_status: null, acm_status_reason: null, app: { id: a.id, name: a.name }, sni_endpoint: e ? { id: e.id, name: e.name } : null, created_at: d.created_at, updated_at: d.updated_at };
  };
  const endpointJson = (a: App, e: SniEndpoint, domains: Domain[]) => {
    const c = details(e);
    return {
      id: e.id, name: e.name, display_name: null, certificate_chain: e.certificate_chain, app: { id: a.id, name: a.name }, domains: domains.filter((d) => d.sni_endpoint_id === e.id).map((d) => d.id),
      ssl_cert: { id: e.id, acm: false, 'ca_signed?': !c.self_signed, self_signed: c.self_signed, cert_domains: c.cert_domains, subject: c.subject, issuer: c.issuer, starts_at: c.starts_at, expires_at: c.expires_at },
      created_at: e.created_at, updated_at: e.updated_at,
    };
  };
  const changed = async () => { await ctx.onAppsChanged?.(); };
  const publish = (a: App, resource: 'domain' | 'sni-endpoint', action: 'create' | 'destroy', data: Record<string, unknown>, actor?: string) =>
    publishAppEvent(ctx, { appId: a.id, include: `api:${resource}`, resource, action, data, actor });

  app.get<{ Params: { app: string } }>('/apps/:app/domains', async (req) => {
    const a = await getApp(db, req.params.app);
    const eps = await endpointsById(a.id);
    const own = { id: a.id, hostname: target(a), kind: 'heroku', cname: null, status: 'none', acm_status: null, acm_status_reason: null, app: { id: a.id, name: a.name }, sni_endpoint: null, created_at: a.created_at, updated_at: a.updated_at };
    return [own, ...(await listDomains(db, a.id)).map((d) => domainJson(a, d, eps))];
  });
  app.get<{ Params: { app: string; ref: string } }>('/apps/:app/domains/:ref', async (req) => {
    const a = await getApp(db, req.params.app);
    return domainJson(a, await getDomain(db, a.id, req.params.ref), await endpointsById(a.id));
  });
  app.post<{ Params: { app: string } }>('/apps/:app/domains', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(z.object({ hostname: z.string().min(1).max(300), sni_endpoint: z.string().min(1).nullable().optional() }).passthrough(), req.body);
    const h = checkHostname(b.hostname, ctx.config.domain);
    if (!h.ok) throw fail('invalid_params', `${h.message}.`);
    // Without a certificate named, one of the app's own that covers the name is attached.
    const endpoint = b.sni_endpoint ? await getSniEndpoint(db, a.id, b.sni_endpoint) : (await listSniEndpoints(db, a.id)).find((e) => certCovers(details(e).cert_domains, h.hostname));
    const d = await insertDomain(db, a.id, h.hostname, endpoint?.id ?? null);
    await changed();
    const json = domainJson(a, d, await endpointsById(a.id));
    await publish(a, 'domain', 'create', json, req.actor?.name);
    return reply.status(201).send(json);
  });
  app.patch<{ Params: { app: string; ref: string } }>('/apps/:app/domains/:ref', async (req) => {
    const a = await getApp(db, req.params.app);
    const d = await getDomain(db, a.id, req.params.ref);
    const b = parseBody(z.object({ sni_endpoint: z.string().min(1).nullable() }).passthrough(), req.body);
    await setDomainEndpoint(db, d.id, b.sni_endpoint ? (await getSniEndpoint(db, a.id, b.sni_endpoint)).id : null);
    await changed();
    return domainJson(a, await getDomain(db, a.id, d.id), await endpointsById(a.id));
  });
  app.delete<{ Params: { app: string; ref: string } }>('/apps/:app/domains/:ref', async (req) => {
    const a = await getApp(db, req.params.app);
    const d = await getDomain(db, a.id, req.params.ref);
    const json = domainJson(a, d, await endpointsById(a.id));
    await deleteDomain(db, d.id);
    await changed();
    await publish(a, 'domain', 'destroy', json, req.actor?.name);
    return json;
  });

  app.get<{ Params: { app: string } }>('/apps/:app/sni-endpoints', async (req) => {
    const a = await getApp(db, req.params.app);
    const domains = await listDomains(db, a.id);
    return (await listSniEndpoints(db, a.id)).map((e) => endpointJson(a, e, domains));
  });
  app.get<{ Params: { app: string; ref: string } }>('/apps/:app/sni-endpoints/:ref', async (req) => {
    const a = await getApp(db, req.params.app);
    return endpointJson(a, await getSniEndpoint(db, a.id, req.params.ref), await listDomains(db, a.id));
  });
  app.post<{ Params: { app: string } }>('/apps/:app/sni-endpoints', async (req, reply) => {
    const a = await getApp(db, req.params.app);
    const b = parseBody(certBody, req.body);
    const c = checkCert(b);
    const e = await insertSniEndpoint(db, { app_id: a.id, name: `${a.name}-${(await listSniEndpoints(db, a.id)).length + 1}-${Date.now().toString(36)}`, certificate_chain: b.certificate_chain, private_key: b.private_key });
    // Only this app's own domains: a certificate never attaches to another app's name.
    for (const d of await listDomains(db, a.id)) if (!d.sni_endpoint_id && certCovers(c.cert_domains, d.hostname)) await setDomainEndpoint(db, d.id, e.id);
    await changed();
    const json = endpointJson(a, e, await listDomains(db, a.id));
    await publish(a, 'sni-endpoint', 'create', { ...json, certificate_chain: undefined }, req.actor?.name);
    return reply.status(201).send(json);
  });
  app.patch<{ Params: { app: string; ref: string } }>('/apps/:app/sni-endpoints/:ref', async (req) => {
    const a = await getApp(db, req.params.app);
    const e = await getSniEndpoint(db, a.id, req.params.ref);
    const b = parseBody(certBody, req.body);
    checkCert(b);
    await db.updateTable('sni_endpoints').set({ certificate_chain: b.certificate_chain, private_key: b.private_key, updated_at: now() }).where('id', '=', e.id).execute();
    await changed();
    return endpointJson(a, await getSniEndpoint(db, a.id, e.id), await listDomains(db, a.id));
  });
  app.delete<{ Params: { app: string; ref: string } }>('/apps/:app/sni-endpoints/:ref', async (req) => {
    const a = await getApp(db, req.params.app);
    const e = await getSniEndpoint(db, a.id, req.params.ref);
    const json = endpointJson(a, e, await listDomains(db, a.id));
    await deleteSniEndpoint(db, e.id);
    await changed();
    await publish(a, 'sni-endpoint', 'destroy', { ...json, certificate_chain: undefined }, req.actor?.name);
    return json;
  });
}
