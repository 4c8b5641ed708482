// The add-ons of test runs: provisioned once per run (parallel nodes share them), torn down when the
// run ends — also after a restart, from what was recorded (processes are found by their marker).
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { killMarked } from '../sandbox/process-tree.js';
import type { AddonRequest } from './addon-spec.js';
import { EphemeralPostgres, ServerPostgres, provisionRedis, startRedis, type LiveAddon, type Provisioned } from './providers.js';
import type { Started } from '../sandbox/sandbox.js';
import { placeAddon, placedUrl, relayAddon, urlHost, type AddonNetwork, type AddonPlace } from './addon-network.js';

export interface AddonManagerOptions { sandbox: Sandbox; workRoot: string; templateRoot: string; pgBin: string; postgresServerUrl?: string; network?: AddonNetwork }

export type ProvisionResult = { ok: true; addons: Provisioned[] } | { ok: false; message: string };

export const addonMarker = (runId: string): string => `addons-${runId}`;
export const appAddonMarker = (id: string): string => `app-addon-${id}`;

export class AddonManager {
  private live = new Map<string, LiveAddon[]>();
  /** The namespaces of add-on servers, by run id or app add-on id. */
  private places = new Map<string, AddonPlace[]>();
  private ephemeral: EphemeralPostgres;
  private server?: ServerPostgres;

  constructor(private o: AddonManagerOptions) {
    this.ephemeral = new EphemeralPostgres(o.sandbox, o.templateRoot, o.pgBin);
    if (o.postgresServerUrl) this.server = new ServerPostgres(o.postgresServerUrl);
  }

  private runDir(runId: string): string { return path.join(this.o.workRoot, `addons-${runId}`); }

  /** Provision every add-on of a run in order; on the first failure, tear down what was made and say which and why. */
  async provision(runId: string, requests: AddonRequest[], log: (line: string) => void): Promise<ProvisionResult> {
    const made: LiveAddon[] = [];
    this.live.set(runId, made);
    for (const req of requests) {
      const dir = path.join(this.runDir(runId), req.name.toLowerCase());
      this.o.sandbox.ownedDir(this.runDir(runId));
      this.o.sandbox.ownedDir(dir);
      const started = Date.now();
      try {
        const place = await this.place(runId, `run:${runId}`, `${runId}-${req.name}`, req);
        const ctx = { sandbox: this.o.sandbox, dir, marker: addonMarker(runId), runId, host: place.host, netns: place.netns };
        const addon = req.service === 'redis' ? await provisionRedis(req, ctx)
          : this.server ? await this.server.provision(req, ctx) : await this.ephemeral.provision(req, ctx);
        addon.info.url = placedUrl(addon.info.url, place);
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
    await this.unplace(runId);
    fs.rmSync(this.runDir(runId), { recursive: true, force: true });
  }

  // ---- Add-ons of apps: long-lived servers in workRoot/app-addon-<id>, started again (same port) on boot.
  private appServers = new Map<string, Started>();
  private appDir(id: string): string { return path.join(this.o.workRoot, `app-addon-${id}`); }
  private appCtx(id: string, place: AddonPlace) { return { sandbox: this.o.sandbox, dir: this.appDir(id), marker: appAddonMarker(id), runId: id, host: place.host, netns: place.netns }; }

  /** A namespace for an add-on server, or a relay to the operator's Postgres server; `was` is its URL before a restart. */
  private async place(key: string, group: string, id: string, req: Pick<AddonRequest, 'service'>, was?: string): Promise<AddonPlace> {
    const place = req.service === 'postgresql' && this.o.postgresServerUrl
      ? await relayAddon(this.o.network, group, this.o.postgresServerUrl, was)
      : await placeAddon(this.o.network, group, id, was && urlHost(was));
    this.places.set(key, [...this.places.get(key) ?? [], place]);
    return place;
  }

  private async unplace(key: string): Promise<void> {
    const places = this.places.get(key) ?? [];
    this.places.delete(key);
    await Promise.all(places.map((p) => p.release()));
  }

  /** Provision an app's add-on: where it runs and its URL. */
  async provisionForApp(id: string, req: AddonRequest, appId: string): Promise<{ provider: Provisioned['provider']; port: number | null; url: string; database: string | null }> {
    if (req.service === 'postgresql' && this.server) {
      const database = `slipway_app_${id.replace(/-/g, '').slice(0, 16)}_${req.name.toLowerCase()}`;
      const place = await this.place(id, `app:${appId}`, id, req);
      return { provider: 'server-postgres', port: null, url: placedUrl(await this.server.create(database), place), database };
    }
    const ctx = this.appCtx(id, await this.place(id, `app:${appId}`, id, req));
    this.o.sandbox.ownedDir(ctx.dir);
    try {
      if (req.service === 'redis') {
        const { port, proc } = await startRedis(ctx, { durable: true });
        this.appServers.set(id, proc);
        return { provider: 'redis', port, url: `redis://${ctx.host}:${port}`, database: null };
      }
      await this.ephemeral.createCluster(ctx.dir);
      const { port, proc } = await this.ephemeral.startCluster(ctx, { durable: true });
      this.appServers.set(id, proc);
      return { provider: 'ephemeral-postgres', port, url: `postgres://postgres@${ctx.host}:${port}/postgres`, database: null };
    } catch (e) {
      await this.unplace(id);
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Start an app's add-on server again after a restart, at the address and port its URL names;
   * returns the new URL when that address could not be had again (the app's config var must follow).
   */
  async startForApp(a: { id: string; app_id: string; service: string; provider: string; port: number | null; url: string }): Promise<string | undefined> {
    if (this.places.has(a.id)) return undefined;
    if (a.provider === 'server-postgres') {
      const url = placedUrl(a.url, await this.place(a.id, `app:${a.app_id}`, a.id, { service: 'postgresql' }, a.url));
      return url === a.url ? undefined : url;
    }
    if (!a.port) return undefined;
    const was = urlHost(a.url);
    const ctx = this.appCtx(a.id, await this.place(a.id, `app:${a.app_id}`, a.id, a as Pick<AddonRequest, 'service'>, a.url));
    killMarked((m) => m === ctx.marker);
    try {
      const { proc } = a.service === 'redis' ? await startRedis(ctx, { port: a.port, durable: true }) : await this.ephemeral.startCluster(ctx, { port: a.port, durable: true });
      this.appServers.set(a.id, proc);
    } catch (e) {
      await this.unplace(a.id);
      throw e;
    }
    if (was === ctx.host) return undefined;
    const url = new URL(a.url);
    url.hostname = ctx.host;
    return url.toString();
  }

  /** Stop and delete an app's add-on and its data. */
  async destroyForApp(a: { id: string; provider: string; database: string | null }): Promise<void> {
    await this.appServers.get(a.id)?.stop();
    this.appServers.delete(a.id);
    killMarked((m) => m === appAddonMarker(a.id));
    await this.unplace(a.id);
    if (a.provider === 'server-postgres' && a.database && this.server) await this.server.drop(a.database);
    fs.rmSync(this.appDir(a.id), { recursive: true, force: true });
  }

  /** Stop every app add-on server (server shutdown); their data stays. */
  async stopAppServers(): Promise<void> {
    await Promise.all([...this.appServers.values()].map((p) => p.stop()));
    this.appServers.clear();
    await Promise.all([...this.places.keys()].map((k) => this.unplace(k)));
  }

  /** Runs whose add-ons are up in this process (for shutdown). */
  liveRuns(): string[] { return [...this.live.keys()]; }
}
