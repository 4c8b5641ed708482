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
import { chooseDataPlane } from './data-plane.js';

/**
 * The router credential a server mints for the router it runs: one per server (`replica` is stable
 * across its restarts), so replicas on one store never rotate each other's router out.
 */
export const localRouterName = (replica: string): string => `local-${replica}`.slice(0, 63);

/** Whether this server's router runs as a process of its own (else the Node router serves inside the server). */
export const routerAsProcess = (c: Pick<Config, 'companions'>): boolean => c.companions === 'process';

/** What the server says of the router it serves itself (always the Node data plane), with why. */
export const IN_SERVER_ROUTER_LINE = 'routing with the Node data plane inside the server: SLIPWAY_COMPANIONS=in-process';

/**
 * Adopt the router process a previous server left, or start one; resolves once it serves. `auto` is
 * decided here, so the server's own output says when the router falls back to the Node data plane
 * (and a router started on one data plane is replaced once the other is chosen).
 */
export async function startRouterCompanion(o: { config: Config; db: Kysely<Database>; log: Logger; serverUrl: string; port: number; tlsPort?: number; replica: string }): Promise<Companion> {
  const c = o.config;
  const plane = chooseDataPlane({ dataPlane: c.router }, (line) => o.log.warn(`router: ${line}`));
  const companion = new Companion({ dir: path.join(c.dataDir, 'companions'), kind: 'router', log: o.log, versionTag: c.companionVersionTag });
  await companion.adoptOrStart(`${o.serverUrl} ${c.routerHost}:${o.port}${o.tlsPort === undefined ? '' : ` tls:${o.tlsPort}`} ${c.domain} ${c.routerTimeoutMs} ${plane}`, async () => ({
    args: [],
    env: {
      ...HOST_ENV, SLIPWAY_ROUTER_SERVER: o.serverUrl, SLIPWAY_ROUTER_TOKEN: await rotateRouterToken(o.db, localRouterName(o.replica)),
      SLIPWAY_ROUTER_PORT: String(o.port), SLIPWAY_ROUTER_HOST: c.routerHost, SLIPWAY_DOMAIN: c.domain, SLIPWAY_ROUTER_TIMEOUT_SECONDS: String(c.routerTimeoutMs / 1000),
      SLIPWAY_ROUTER: plane, SLIPWAY_ROUTER_DATA_DIR: c.dataDir, ...(o.tlsPort === undefined ? {} : { SLIPWAY_ROUTER_TLS_PORT: String(o.tlsPort) }),
    },
  }));
  return companion;
}
