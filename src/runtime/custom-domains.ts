// The router's view of custom domains: host name → app, and the certificate to present for a host
// name at the router's TLS port (SNI). Loaded from the store and refreshed with the app table, so
// the router never waits on the database per request or handshake.
import { createHash } from 'node:crypto';
import tls from 'node:tls';
import http from 'node:http';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { RouterCertificate } from '../router/router-wire.js';

interface Route { appName: string; appId: string; endpointId: string | null }

export class DomainRoutes {
  private byHost = new Map<string, Route>();
  private endpoints = new Map<string, { chain: string; key: string; id: string }>();
  private contexts = new SniContexts();

  /** Reload domains and certificates (called with the router's app table refresh). */
  async refresh(db: Kysely<Database>): Promise<void> {
    const rows = await db.selectFrom('domains').innerJoin('apps', 'apps.id', 'domains.app_id')
      .select(['domains.hostname', 'domains.sni_endpoint_id', 'apps.id as app_id', 'apps.name as app_name']).execute();
    const certs = await db.selectFrom('sni_endpoints').select(['id', 'certificate_chain', 'private_key', 'updated_at']).execute();
    this.byHost = new Map(rows.map((r) => [r.hostname, { appName: r.app_name, appId: r.app_id, endpointId: r.sni_endpoint_id }]));
    this.endpoints = new Map(certs.map((c) => [c.id, { chain: c.certificate_chain, key: c.private_key, id: certificateId(c.certificate_chain, c.private_key) }]));
    this.contexts.keep(new Set([...this.endpoints.values()].map((e) => e.id)));
  }

  /** The app a custom host name routes to. */
  appNameFor(host: string): string | undefined { return this.byHost.get(host)?.appName; }

  /** An app's custom host names (for the nginx data plane's server_name). */
  hostnamesOf(appId: string): string[] { return [...this.byHost].filter(([, r]) => r.appId === appId).map(([h]) => h); }

  /** The certificate and key for a host name, if a certificate is attached to its domain. */
  certificateFor(host: string): RouterCertificate | undefined {
    const id = this.byHost.get(host)?.endpointId;
    const e = id ? this.endpoints.get(id) : undefined;
    return e && { hostname: host, id: e.id, chain: e.chain, key: e.key };
  }

  /** An app's custom host names that have a certificate, each with it (for a router process's table). */
  certificatesOf(appId: string): RouterCertificate[] {
    return this.hostnamesOf(appId).flatMap((h) => this.certificateFor(h) ?? []);
  }

  /** The TLS context for a ClientHello's server name (built once per certificate). */
  secureContext(servername: string): tls.SecureContext | undefined {
    return this.contexts.for(this.certificateFor(servername.toLowerCase()));
  }
}

/** A certificate's identity: its chain and key, so that a renewed one is a new id (and a new TLS context, a new nginx file). */
export function certificateId(chain: string, key: string): string {
  return createHash('sha256').update(chain).update('\0').update(key).digest('hex').slice(0, 32);
}

/** TLS contexts by certificate id, built on the first handshake that needs one. */
export class SniContexts {
  private contexts = new Map<string, tls.SecureContext>();

  for(c: RouterCertificate | undefined): tls.SecureContext | undefined {
    if (!c) return undefined;
    let context = this.contexts.get(c.id);
    if (!context) {
      context = tls.createSecureContext({ cert: c.chain, key: c.key });
      this.contexts.set(c.id, context);
    }
    return context;
  }

  /** Drop the contexts of certificates no longer served. */
  keep(ids: ReadonlySet<string>): void {
    for (const id of this.contexts.keys()) if (!ids.has(id)) this.contexts.delete(id);
  }
}

/**
 * The router's TLS listener: SNI picks the certificate of the domain asked for; a name without one
 * fails the handshake (there is no default certificate to give away). Decrypted connections go to
 * the HTTP router itself, so routing, headers and logs are the same as over plain HTTP.
 */
export async function listenRouterTls(router: http.Server, routes: Pick<DomainRoutes, 'secureContext'>, port: number, host: string): Promise<tls.Server> {
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
