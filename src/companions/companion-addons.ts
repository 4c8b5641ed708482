// With a local agent process, that process runs this host's app add-on servers (Postgres, Redis,
// the relay to the operator's Postgres) on its own network, beside the app's dynos: they outlive a
// crash of the server as the dynos do, and the dynos reach them. The server asks it over the
// companion's socket (a unix socket only root can open, in a folder only root can list).
import { z } from 'zod/v3';
import type { AppAddonHost, AppAddonMade, AppAddonRecord } from '../addons/app-addon-host.js';
import type { AddonRequest } from '../addons/addon-spec.js';
import type { Tenant } from '../sandbox/user.js';
import { postCompanion, type JsonRoute } from './companion-call.js';

/** Provisioning copies and secures a cluster: well within this, but never a request held forever. */
const TIMEOUT_MS = 180_000;

const tenant = z.object({ uid: z.number().int(), gid: z.number().int() }).optional();
const record = z.object({
  id: z.string(), app_id: z.string(), service: z.string(), provider: z.string(), port: z.number().int().nullable(), url: z.string(), database: z.string().nullable(),
  restarts: z.number().int().optional(), last_exit: z.string().nullable().optional(),
});
const provision = z.object({ id: z.string(), request: z.object({ service: z.enum(['postgresql', 'redis']), plan: z.string(), name: z.string() }), appId: z.string(), tenant });
const start = z.object({ addon: record, tenant });
const destroy = z.object({ addon: record.pick({ id: true, provider: true, database: true }) });

/** The agent's side: the add-on routes of its companion socket, run by `host` (its AddonManager). */
export function addonRoutes(host: AppAddonHost): Record<string, JsonRoute> {
  return {
    '/addons/provision': async (json) => { const b = provision.parse(json); return host.provisionForApp(b.id, b.request as AddonRequest, b.appId, b.tenant); },
    '/addons/start': async (json) => { const b = start.parse(json); return { moved: await host.startForApp(b.addon, b.tenant) ?? null }; },
    '/addons/destroy': async (json) => { await host.destroyForApp(destroy.parse(json).addon); return {}; },
  };
}

/** The server's side: the local agent process's add-on servers, asked over its socket. */
export class CompanionAddons implements AppAddonHost {
  constructor(private socket: string) {}

  provisionForApp(id: string, request: AddonRequest, appId: string, tenant?: Tenant): Promise<AppAddonMade> {
    return this.post('/addons/provision', { id, request, appId, tenant });
  }

  async startForApp(addon: AppAddonRecord, tenant?: Tenant): Promise<string | undefined> {
    const { id, app_id, service, provider, port, url, database, restarts, last_exit } = addon;
    return (await this.post<{ moved: string | null }>('/addons/start', { addon: { id, app_id, service, provider, port, url, database, restarts, last_exit }, tenant })).moved ?? undefined;
  }

  async destroyForApp(a: Pick<AppAddonRecord, 'id' | 'provider' | 'database'>): Promise<void> {
    await this.post('/addons/destroy', { addon: { id: a.id, provider: a.provider, database: a.database, app_id: '', service: '', port: null, url: '' } });
  }

  private post<T>(route: string, body: unknown): Promise<T> {
    return postCompanion(this.socket, route, body, { timeoutMs: TIMEOUT_MS, runs: 'this host\'s add-on servers' });
  }
}
