// The add-ons of test runs: provisioned once per run (parallel nodes share them), torn down when the
// run ends — also after a restart, from what was recorded (processes are found by their marker).
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { killMarked } from '../sandbox/process-tree.js';
import type { AddonRequest } from './addon-spec.js';
import { EphemeralPostgres, ServerPostgres, provisionRedis, startRedis, type LiveAddon, type Provisioned } from './providers.js';
import { addonUrl, newRedisPassword } from './credentials.js';
import { writeRedisAuth } from './redis-auth.js';
import type { Started } from '../sandbox/sandbox.js';
import { chownTree, forTenant } from '../sandbox/tenant-sandbox.js';
import type { Tenant } from '../sandbox/user.js';

export interface AddonManagerOptions { sandbox: Sandbox; workRoot: string; templateRoot: string; pgBin: string; postgresServerUrl?: string }

export type ProvisionResult = { ok: true; addons: Provisioned[] } | { ok: false; message: string };

export const addonMarker = (runId: string): string => `addons-${runId}`;
export const appAddonMarker = (id: string): string => `app-addon-${id}`;

export class AddonManager {
  private live = new Map<string, LiveAddon[]>();
  private ephemeral: EphemeralPostgres;
  private server?: ServerPostgres;

  constructor(private o: AddonManagerOptions) {
    this.ephemeral = new EphemeralPostgres(o.sandbox, o.templateRoot, o.pgBin);
    if (o.postgresServerUrl) this.server = new ServerPostgres(o.postgresServerUrl);
  }

  private runDir(runId: string): string { return path.join(this.o.workRoot, `addons-${runId}`); }

  /**
   * Provision every add-on of a run in order, run as `tenant` (the run's add-on uid, not its nodes');
   * on the first failure, tear down what was made and say which and why.
   */
  async provision(runId: string, requests: AddonRequest[], log: (line: string) => void, tenant?: Tenant): Promise<ProvisionResult> {
    const made: LiveAddon[] = [];
    this.live.set(runId, made);
    const sandbox = this.serverSandbox(tenant);
    for (const req of requests) {
      const dir = path.join(this.runDir(runId), req.name.toLowerCase());
      sandbox.ownedDir(this.runDir(runId));
      sandbox.ownedDir(dir);
      const ctx = { sandbox, dir, marker: addonMarker(runId) };
      const started = Date.now();
      try {
        const addon = req.service === 'redis' ? await provisionRedis(req, ctx)
          : this.server ? await this.server.provision(req) : await this.ephemeral.provision(req, ctx);
        made.push(addon);
        log(`-----> Provisioned ${req.plan} as ${req.name}_URL (${addon.info.provider}, ${Date.now() - started} ms)\n`);
      } catch (e) {
        await this.teardown(runId, made.map((m) => m.info));
        return { ok: false, message: `Add-on ${req.plan} (${req.name}_URL) could not be provisioned: ${(e as Error).message}.` };
      }
    }
    return { ok: true, addons: made.map((m) => m.info) };
  }

  /** Stop and delete a run's add-ons; works from the recorded list alone (after a restart). */
  async teardown(runId: string, recorded: Provisioned[]): Promise<void> {
    const live = this.live.get(runId) ?? [];
    this.live.delete(runId);
    await Promise.all(live.map((a) => a.proc?.stop()));
    killMarked((m) => m === addonMarker(runId));
    for (const a of recorded) {
      if (a.provider === 'server-postgres' && a.database && this.server) await this.server.drop(a.database).catch(() => {});
    }
    fs.rmSync(this.runDir(runId), { recursive: true, force: true });
  }

  // ---- Add-ons of apps: long-lived servers in workRoot/app-addon-<id>, started again (same port) on boot.
  private appServers = new Map<string, Started>();
  private appDir(id: string): string { return path.join(this.o.workRoot, `app-addon-${id}`); }
  /**
   * The sandbox an add-on server runs in: its own uid under bubblewrap, which also gives that uid a
   * passwd entry (Postgres' single-user set-up looks itself up). Without bubblewrap there is no way
   * to give it one, so add-on servers share the sandbox user, which no tenant command runs as.
   */
  private serverSandbox(tenant?: Tenant): Sandbox {
    return forTenant(this.o.sandbox, this.o.sandbox.mode === 'bwrap' ? tenant : undefined);
  }

  private appCtx(id: string, tenant?: Tenant) { return { sandbox: this.serverSandbox(tenant), dir: this.appDir(id), marker: appAddonMarker(id) }; }

  /** Provision an app's add-on, run as `tenant` (the app's add-on uid): where it runs and its URL. */
  async provisionForApp(id: string, req: AddonRequest, tenant?: Tenant): Promise<{ provider: Provisioned['provider']; port: number | null; url: string; database: string | null }> {
    if (req.service === 'postgresql' && this.server) return { provider: 'server-postgres', port: null, ...await this.server.create() };
    const ctx = this.appCtx(id, tenant);
    ctx.sandbox.ownedDir(ctx.dir);
    try {
      if (req.service === 'redis') {
        const password = newRedisPassword();
        writeRedisAuth(ctx.dir, password);
        const { port, proc } = await startRedis(ctx, { durable: true });
        this.appServers.set(id, proc);
        return { provider: 'redis', port, url: addonUrl({ host: '127.0.0.1', port }, { scheme: 'redis', password }), database: null };
      }
      const creds = await this.ephemeral.createCluster(ctx);
      const { port, proc } = await this.ephemeral.startCluster(ctx, { durable: true });
      this.appServers.set(id, proc);
      return { provider: 'ephemeral-postgres', port, url: addonUrl({ host: '127.0.0.1', port }, { scheme: 'postgres', ...creds }), database: null };
    } catch (e) {
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      throw e;
    }
  }

  /** Start an app's add-on server again after a restart, on the port its URL names. */
  async startForApp(a: { id: string; service: string; provider: string; port: number | null; url: string }, tenant?: Tenant): Promise<void> {
    if (a.provider === 'server-postgres' || !a.port || this.appServers.has(a.id)) return;
    // Made before add-ons had credentials: it would let every tenant in (as superuser), so it stays down.
    if (!new URL(a.url).password) throw new Error('it was made before add-ons had passwords and would accept anyone; recreate it (addons:destroy, then addons:create)');
    const ctx = this.appCtx(a.id, tenant);
    killMarked((m) => m === ctx.marker);
    // Its files may belong to another uid (made before tenant uids, or the range changed).
    await chownTree(ctx.dir, ctx.sandbox.user);
    const { proc } = a.service === 'redis' ? await startRedis(ctx, { port: a.port, durable: true }) : await this.ephemeral.startCluster(ctx, { port: a.port, durable: true });
    this.appServers.set(a.id, proc);
  }

  /** Stop and delete an app's add-on and its data. */
  async destroyForApp(a: { id: string; provider: string; database: string | null }): Promise<void> {
    await this.appServers.get(a.id)?.stop();
    this.appServers.delete(a.id);
    killMarked((m) => m === appAddonMarker(a.id));
    if (a.provider === 'server-postgres' && a.database && this.server) await this.server.drop(a.database);
    fs.rmSync(this.appDir(a.id), { recursive: true, force: true });
  }

  /** Stop every app add-on server (server shutdown); their data stays. */
  async stopAppServers(): Promise<void> {
    await Promise.all([...this.appServers.values()].map((p) => p.stop()));
    this.appServers.clear();
  }

  /** Runs whose add-ons are up in this process (for shutdown). */
  liveRuns(): string[] { return [...this.live.keys()]; }
}
