// The embedded default's router: `slipway server` runs `slipway router` beside itself (or adopts
// the one a previous server left running), feeds it the table, and uses what it reports to drain.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Config } from '../config.js';
import type { Logger } from '../app-context.js';
import { Companion } from '../companions/companions.js';
import { rotateRouterToken } from '../store/routers.js';
import { HOST_ENV } from '../sandbox/host-tools.js';

/**
 * The router credential a server mints for the router it runs: one per server (`replica` is stable
 * across its restarts), so replicas on one store never rotate each other's router out.
 */
export const localRouterName = (replica: string): string => `local-${replica}`.slice(0, 63);

/** Whether this server's router runs as a process of its own (with a TLS router port, the Node router serves inside the server). */
export const routerAsProcess = (c: Pick<Config, 'routerTlsPort' | 'companions'>): boolean =>
  c.companions === 'process' && c.routerTlsPort === undefined;

/** Adopt the router process a previous server left, or start one; resolves once it serves. */
export async function startRouterCompanion(o: { config: Config; db: Kysely<Database>; log: Logger; serverUrl: string; port: number; replica: string }): Promise<Companion> {
  const c = o.config;
  const companion = new Companion({ dir: path.join(c.dataDir, 'companions'), kind: 'router', log: o.log });
  await companion.adoptOrStart(`${o.serverUrl} ${c.routerHost}:${o.port} ${c.domain} ${c.routerTimeoutMs} ${c.router}`, async () => ({
    args: [],
    env: {
      ...HOST_ENV, SLIPWAY_ROUTER_SERVER: o.serverUrl, SLIPWAY_ROUTER_TOKEN: await rotateRouterToken(o.db, localRouterName(o.replica)),
      SLIPWAY_ROUTER_PORT: String(o.port), SLIPWAY_ROUTER_HOST: c.routerHost, SLIPWAY_DOMAIN: c.domain, SLIPWAY_ROUTER_TIMEOUT_SECONDS: String(c.routerTimeoutMs / 1000),
      SLIPWAY_ROUTER: c.router, SLIPWAY_ROUTER_DATA_DIR: c.dataDir,
    },
  }));
  return companion;
}
