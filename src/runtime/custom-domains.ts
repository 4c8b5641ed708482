// The router's view of custom domains: host name → app, and the certificate to present for a host
// name at the router's TLS port (SNI). Loaded from the store and refreshed with the app table, so
// the router never waits on the database per request or handshake.
import tls from 'node:tls';
import http from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

interface Route { appName: string; appId: string; endpointId: string | null }

export class DomainRoutes {
  private byHost = new Map<string, Route>();
  private endpoints = new Map<string, { chain: string; key: string; updatedAt: string }>();
  private contexts = new Map<string, { updatedAt: string; context: tls.SecureContext }>();

  /** Reload domains and certificates (called with the router's app table refresh). */
  async refresh(db: Kysely<Database>): Promise<void> {
    const rows = await db.selectFrom('domains').innerJoin('apps', 'apps.id', 'domains.app_id')
      .select(['domains.hostname', 'domains.sni_endpoint_id', 'apps.id as app_id', 'apps.name as app_name']).execute();
    const certs = await db.selectFrom('sni_endpoints').select(['id', 'certificate_chain', 'private_key', 'updated_at']).execute();
    this.byHost = new Map(rows.map((r) => [r.hostname, { appName: r.app_name, appId: r.app_id, endpointId: r.sni_endpoint_id }]));
    this.endpoints = new Map(certs.map((c) => [c.id, { chain: c.certificate_chain, key: c.private_key, updatedAt: c.updated_at }]));
    for (const id of this.contexts.keys()) if (!this.endpoints.has(id)) this.contexts.delete(id);
  }

  /** The app a custom host name routes to. */
  appNameFor(host: string): string | undefined { return this.byHost.get(host)?.appName; }

  /** An app's custom host names (for the nginx data plane's server_name). */
  hostnamesOf(appId: string): string[] { return [...this.byHost].filter(([, r]) => r.appId === appId).map(([h]) => h); }

  /** The certificate and key for a host name, if a certificate is attached to its domain. */
  certificateFor(host: string): { id: string; chain: string; key: string } | undefined {
    const id = this.byHost.get(host)?.endpointId;
    const e = id ? this.endpoints.get(id) : undefined;
    return id && e ? { id, chain: e.chain, key: e.key } : undefined;
  }

  /** The TLS context for a ClientHello's server name (built once per certificate version). */
  secureContext(servername: string): tls.SecureContext | undefined {
    const c = this.certificateFor(servername.toLowerCase());
    if (!c) return undefined;
    const updatedAt = this.endpoints.get(c.id)!.updatedAt;
    const cached = this.contexts.get(c.id);
    if (cached?.updatedAt === updatedAt) return cached.context;
    const context = tls.createSecureContext({ cert: c.chain, key: c.key });
    this.contexts.set(c.id, { updatedAt, context });
    return context;
  }
}

/**
 * The router's TLS listener: SNI picks the certificate of the domain asked for; a name without one
 * fails the handshake (there is no default certificate to give away). Decrypted connections go to
 * the HTTP router itself, so routing, headers and logs are the same as over plain HTTP.
 */
export async function listenRouterTls(router: http.Server, routes: DomainRoutes, port: number, host: string): Promise<tls.Server> {
  const server = tls.createServer({
    SNICallback: (name, cb) => {
      const context = routes.secureContext(name);
      cb(context ? null : new Error(`no certificate for ${name}`), context);
    },
  }, (socket) => router.emit('connection', socket));
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()); });
  return server;
}
