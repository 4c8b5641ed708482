// What serves the router process's traffic: nginx, run and reconfigured by the process (the
// default where nginx is installed), or Slipway's Node router (the fallback, slower). Both follow
// the same table, write the same Heroku-format log lines and report requests in flight per dyno.
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { createRouter } from '../runtime/router.js';
import { listenRouterTls, SniContexts } from '../runtime/custom-domains.js';
import { findExecutable, SYSTEM_PATH } from '../sandbox/host-tools.js';
import type { RouterConfig } from './router-config.js';
import type { TableClient } from './table-client.js';
import { NginxDataPlane, type PlaneApp } from './nginx-data-plane.js';
import { findLuaModules, LUA_PACKAGE, MODULE_DIRS } from './nginx-modules.js';

export interface DataPlane {
  readonly kind: 'nginx' | 'node';
  /** The table changed: serve it (for nginx once it took the tables), then report `served`. */
  changed(): void;
  /** Requests in flight per dyno id (for draining a dyno that left the table). */
  inFlight(): Record<string, number>;
  /** Stop accepting; answer what is in flight (up to the router timeout), unless `now`. */
  close(now: boolean): Promise<void>;
}

/** The table as the data planes read it (the router process's TableClient). */
type PlaneTable = Pick<TableClient, 'version' | 'all' | 'lookup' | 'customHost' | 'certificateFor'>;

interface PlaneDeps { table: PlaneTable; line(appId: string, line: string, msec?: string): void; wire(data: Buffer, lines: number): void; served(version: number): void; say(line: string): void }

/** Why nginx cannot be the data plane here (undefined: it can): nginx itself, or its lua module for the route table. */
export function nginxMissing(nginx = () => findExecutable('nginx') !== undefined, modules = () => findLuaModules() !== undefined): string | undefined {
  if (!nginx()) return `nginx not found in ${SYSTEM_PATH} (\`apt-get install nginx-light ${LUA_PACKAGE}\`)`;
  if (!modules()) return `nginx's lua module not found in ${MODULE_DIRS.join(', ')} (\`apt-get install ${LUA_PACKAGE}\`: nginx's route table, so a deploy reloads nothing)`;
  return undefined;
}

/** The data plane SLIPWAY_ROUTER asks for: nginx if asked or (auto) if installed, else the Node router, said once with why. */
export function chooseDataPlane(c: Pick<RouterConfig, 'dataPlane'>, say: (line: string) => void, missing = () => nginxMissing()): 'nginx' | 'node' {
  if (c.dataPlane !== 'auto') return c.dataPlane;
  const why = missing();
  if (!why) return 'nginx';
  say(`${why}: routing with the Node data plane, which serves about a third of what nginx does; install it and restart to route with nginx, or set SLIPWAY_ROUTER=node to say this is meant`);
  return 'node';
}

/** Start the chosen data plane listening on the router's port (before the first table arrives). */
export async function startDataPlane(kind: 'nginx' | 'node', c: RouterConfig, d: PlaneDeps): Promise<DataPlane> {
  return kind === 'nginx' ? startNginx(c, d) : startNode(c, d);
}

async function startNode(c: RouterConfig, d: PlaneDeps): Promise<DataPlane> {
  const counts = new Map<string, number>();
  const router = createRouter({
    domain: c.domain, timeoutMs: c.timeoutMs, inFlight: counts,
    lookup: (name) => d.table.lookup(name), customHost: (h) => d.table.customHost(h), log: d.line,
  });
  await new Promise<void>((resolve, reject) => { router.once('error', reject); router.listen(c.port, c.host, () => resolve()); });
  d.say(`listening on ${c.host}:${(router.address() as AddressInfo).port} (Node router) for *.${c.domain}`);
  const contexts = new SniContexts();
  const tls = c.tlsPort === undefined ? undefined : await listenRouterTls(router, { secureContext: (name) => contexts.for(d.table.certificateFor(name.toLowerCase())) }, c.tlsPort, c.host);
  if (tls) d.say(`listening on ${c.host}:${(tls.address() as AddressInfo).port} with TLS (custom domains' certificates by SNI)`);
  return {
    kind: 'node',
    changed: () => {
      contexts.keep(new Set(d.table.all().flatMap((a) => (a.certificates ?? []).map((x) => x.id))));
      d.served(d.table.version);
    },
    inFlight: () => Object.fromEntries(counts),
    close: (now) => new Promise<void>((r) => {
      tls?.close();
      router.close(() => r()); router.closeIdleConnections(); setTimeout(() => { router.closeAllConnections(); }, now ? 0 : c.timeoutMs).unref();
    }),
  };
}

/** The router's folder, made private; one that is not this user's own (another user's, a link in /tmp) is refused. */
function ownFolder(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = fs.lstatSync(dir);
  if (!st.isDirectory() || st.uid !== process.getuid?.()) throw new Error(`${dir} is not a folder of this user's own: set SLIPWAY_ROUTER_DATA_DIR to one`);
  return dir;
}

/** nginx listens on a port it is given: port 0 becomes a free one. */
async function concretePort(host: string, port: number): Promise<number> {
  if (port) return port;
  const s = net.createServer();
  await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(0, host, () => resolve()); });
  const free = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return free;
}

async function startNginx(c: RouterConfig, d: PlaneDeps): Promise<DataPlane> {
  const prefix = path.join(ownFolder(c.dataDir), 'nginx');
  const port = await concretePort(c.host, c.port);
  const tlsPort = c.tlsPort === undefined ? undefined : await concretePort(c.host, c.tlsPort);
  const apps = (): PlaneApp[] => d.table.all().map((a) => ({
    appId: a.id, name: a.name, dynos: a.dynos, trusted: a.trusted ?? undefined, internal: a.internal, hostnames: a.hostnames, maintenance: a.maintenance, certificates: a.certificates ?? [],
  }));
  const missing = nginxMissing();
  if (missing) throw new Error(`SLIPWAY_ROUTER=nginx, but ${missing}; install it, or set SLIPWAY_ROUTER=node or auto`);
  const nginx = new NginxDataPlane({ prefix, modules: findLuaModules()!, listenHost: c.host, listenPort: port, tlsPort, domain: c.domain, timeoutMs: c.timeoutMs, line: d.line, wire: d.wire, say: d.say });
  await nginx.start(apps());
  d.say(`listening on ${c.host}:${port} (nginx, under ${prefix}) for *.${c.domain}`);
  if (tlsPort !== undefined) d.say(`listening on ${c.host}:${tlsPort} with TLS (nginx; custom domains' certificates by SNI)`);
  // One apply at a time; changes that arrive during one are served by the next (with the latest table).
  // A version is reported served only once nginx has taken its tables; one it refused is tried
  // again (backing off) until it takes, so the server's wait never counts an unserved table.
  let running = false;
  let again = false;
  let closed = false;
  const changed = (): void => {
    if (running) { again = true; return; }
    running = true;
    void (async () => {
      let retryMs = 500;
      let said = '';
      do {
        again = false;
        const version = d.table.version;
        try {
          await nginx.apply(apps(), version);
          d.served(version);
        } catch (e) {
          const why = (e as Error).message;
          if (why !== said) d.say(`nginx: ${why}; trying again`);
          said = why;
          await new Promise((r) => setTimeout(r, retryMs).unref());
          retryMs = Math.min(retryMs * 2, 10_000);
          again = true;
        }
      } while (again && !closed);
      running = false;
    })();
  };
  const close = async (now: boolean) => {
    closed = true;
    await nginx.close(now);
    try { fs.rmdirSync(c.dataDir); } catch { /* not empty: a server's data folder, or another router's */ }
  };
  return { kind: 'nginx', changed, inFlight: () => nginx.inFlight(), close };
}
