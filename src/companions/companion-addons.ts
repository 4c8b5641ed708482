// With a local agent process, that process runs this host's app add-on servers (Postgres, Redis,
// the relay to the operator's Postgres) on its own network, beside the app's dynos: they outlive a
// crash of the server as the dynos do, and the dynos reach them. The server asks it over the
// companion's socket (a unix socket only root can open, in a folder only root can list).
import http from 'node:http';
import { z } from 'zod';
import type { AppAddonHost, AppAddonMade, AppAddonRecord } from '../addons/app-addon-host.js';
import type { AddonRequest } from '../addons/addon-spec.js';
import type { Tenant } from '../sandbox/user.js';
import type { CompanionRoutes } from './identity-socket.js';

const MAX_BODY = 64 * 1024;
/** Provisioning copies and secures a cluster: well within this, but never a request held forever. */
const TIMEOUT_MS = 180_000;

const tenant = z.object({ uid: z.number().int(), gid: z.number().int() }).optional();
const record = z.object({ id: z.string(), app_id: z.string(), service: z.string(), provider: z.string(), port: z.number().int().nullable(), url: z.string(), database: z.string().nullable() });
const bodies = {
  '/addons/provision': z.object({ id: z.string(), request: z.object({ service: z.enum(['postgresql', 'redis']), plan: z.string(), name: z.string() }), appId: z.string(), tenant }),
  '/addons/start': z.object({ addon: record, tenant }),
  '/addons/destroy': z.object({ addon: record.pick({ id: true, provider: true, database: true }) }),
};

/** The agent's side: the add-on routes of its companion socket, run by `host` (its AddonManager). */
export function addonRoutes(host: () => AppAddonHost | undefined): CompanionRoutes {
  return (req, res) => {
    const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    const url = req.url as keyof typeof bodies;
    if (req.method !== 'POST' || !(url in bodies)) { answer(404, { message: `no route ${req.method} ${req.url}` }); return; }
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { text += c; if (text.length > MAX_BODY) req.destroy(); });
    req.on('end', () => {
      const h = host();
      if (!h) { answer(503, { message: 'the agent is still setting up its host' }); return; }
      let work: Promise<unknown>;
      try {
        const json: unknown = JSON.parse(text);
        if (url === '/addons/provision') { const b = bodies[url].parse(json); work = h.provisionForApp(b.id, b.request as AddonRequest, b.appId, b.tenant); }
        else if (url === '/addons/start') { const b = bodies[url].parse(json); work = h.startForApp(b.addon, b.tenant).then((moved) => ({ moved: moved ?? null })); }
        else { const b = bodies['/addons/destroy'].parse(json); work = h.destroyForApp(b.addon).then(() => ({})); }
      } catch (e) { answer(400, { message: (e as Error).message }); return; }
      work.then((r) => answer(200, r), (e: Error) => answer(500, { message: e.message }));
    });
  };
}

/** The server's side: the local agent process's add-on servers, asked over its socket. */
export class CompanionAddons implements AppAddonHost {
  constructor(private socket: string) {}

  provisionForApp(id: string, request: AddonRequest, appId: string, tenant?: Tenant): Promise<AppAddonMade> {
    return this.post('/addons/provision', { id, request, appId, tenant });
  }

  async startForApp(addon: AppAddonRecord, tenant?: Tenant): Promise<string | undefined> {
    const { id, app_id, service, provider, port, url, database } = addon;
    return (await this.post<{ moved: string | null }>('/addons/start', { addon: { id, app_id, service, provider, port, url, database }, tenant })).moved ?? undefined;
  }

  async destroyForApp(a: Pick<AppAddonRecord, 'id' | 'provider' | 'database'>): Promise<void> {
    await this.post('/addons/destroy', { addon: { id: a.id, provider: a.provider, database: a.database, app_id: '', service: '', port: null, url: '' } });
  }

  private post<T>(route: string, body: unknown): Promise<T> {
    return new Promise((resolve, reject) => {
      const req = http.request({ socketPath: this.socket, path: route, method: 'POST', timeout: TIMEOUT_MS, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => { text += c; });
        res.on('end', () => {
          let json: { message?: string } = {};
          try { json = JSON.parse(text) as typeof json; } catch { /* said below */ }
          if (res.statusCode === 200) resolve(json as T);
          else reject(new Error(json.message ?? `the local agent process answered ${res.statusCode}`));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`the local agent process did not answer within ${TIMEOUT_MS / 1000} s`)));
      req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
        ? new Error('the local agent process (which runs this host\'s add-on servers) is not running; see the server log') : e));
      req.end(JSON.stringify(body));
    });
  }
}
