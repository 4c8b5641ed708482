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
import { placeAddon, placedUrl, relayAddon, urlHost, type AddonNetwork, type AddonPlace } from './addon-network.js';
import type { AppAddonHost, AppAddonMade, AppAddonRecord } from './app-addon-host.js';
import type { AddonRecord, AddonRecords } from './addon-records.js';
import { procStartTime } from '../sandbox/adopted.js';
import { AddonSupervisor, type AddonServerEvents } from './addon-supervisor.js';

/**
 * `records`: apps' add-on servers outlive this process (an agent's), recorded there and adopted by its next process.
 * `events`: a server's crash and restart (addon-supervisor.ts), for the app's log and the add-on's status;
 * `onServersChanged`: a server was started again (its pid changed: see serverPids).
 */
export interface AddonManagerOptions {
  sandbox: Sandbox; workRoot: string; templateRoot: string; pgBin: string; postgresServerUrl?: string; network?: AddonNetwork; records?: AddonRecords;
  events?: AddonServerEvents; onServersChanged?(): void;
}

/** An outliving add-on server's output file is emptied past this size (it is read only for its start). */
const MAX_OUTPUT_BYTES = 1024 * 1024;
const TRIM_MS = 60_000;

export type ProvisionResult = { ok: true; addons: Provisioned[] } | { ok: false; message: string };

export const addonMarker = (runId: string): string => `addons-${runId}`;
export const appAddonMarker = (id: string): string => `app-addon-${id}`;
/** An app add-on's name as the API shows it (`heroku-postgresql-1a2b3c4d`, api/addons.ts). */
const addonName = (service: AddonRecord['service'], id: string): string => `heroku-${service}-${id.slice(0, 8)}`;

/** An app's add-on server as its supervisor starts it again: which, whose, and as which uid. */
interface AppServer { id: string; appId: string; service: AddonRecord['service']; tenant?: Tenant }

export class AddonManager implements AppAddonHost {
  private live = new Map<string, LiveAddon[]>();
  /** The namespaces of add-on servers, by run id or app add-on id. */
  private places = new Map<string, AddonPlace[]>();
  private ephemeral: EphemeralPostgres;
  private server?: ServerPostgres;

  private supervisor: AddonSupervisor;

  constructor(private o: AddonManagerOptions) {
    this.supervisor = new AddonSupervisor(o.events);
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
      const started = Date.now();
      try {
        const place = await this.place(runId, `run:${runId}`, `${runId}-${req.name}`, req);
        const ctx = { sandbox, dir, marker: addonMarker(runId), host: place.host, netns: place.netns };
        const addon = req.service === 'redis' ? await provisionRedis(req, ctx)
          : this.server ? await this.server.provision(req) : await this.ephemeral.provision(req, ctx);
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

  // ---- Add-ons of apps: long-lived servers in workRoot/app-addon-<id>, supervised (started again at the same
  // port when they end), and started again (same port) on boot.
  private appDir(id: string): string { return path.join(this.o.workRoot, `app-addon-${id}`); }
  /**
   * The sandbox an add-on server runs in: its own uid under bubblewrap, which also gives that uid a
   * passwd entry (Postgres' single-user set-up looks itself up). Without bubblewrap there is no way
   * to give it one, so add-on servers share the sandbox user, which no tenant command runs as.
   */
  private serverSandbox(tenant?: Tenant): Sandbox {
    return forTenant(this.o.sandbox, this.o.sandbox.mode === 'bwrap' ? tenant : undefined);
  }

  private appCtx(id: string, place: AddonPlace, tenant?: Tenant) {
    const r = this.o.records;
    return {
      sandbox: this.serverSandbox(tenant), dir: this.appDir(id), marker: appAddonMarker(id), host: place.host, netns: place.netns,
      outlive: r && { open: () => r.openFiles(id, { append: true }), file: r.outputFile(id) },
    };
  }

  private trimTimer?: NodeJS.Timeout;

  /**
   * An app's add-on server runs: supervised (started again where it ran when it ends), and (outliving
   * this process) recorded for the next process of this agent. `carried`: what an earlier process counted.
   */
  private running(a: AppServer, place: { host: string; netns?: string }, port: number, proc: Started, carried: { startedAt?: string; restarts?: number; lastExit?: string | null } = {}): void {
    const startedAt = carried.startedAt ?? new Date().toISOString();
    const record = (p: Started, restarts: number, lastExit: string | null) => {
      const r = this.o.records;
      const startTime = p.pid === undefined ? undefined : procStartTime(p.pid);
      if (!r || p.pid === undefined || !startTime) return;
      r.save({ id: a.id, appId: a.appId, service: a.service, host: place.host, port, netns: place.netns, proc: { pid: p.pid, startTime, marker: p.marker }, startedAt, tenant: a.tenant, restarts, lastExit });
    };
    record(proc, carried.restarts ?? 0, carried.lastExit ?? null);
    this.supervisor.watch({
      id: a.id, appId: a.appId, name: addonName(a.service, a.id), proc, restarts: carried.restarts, lastExit: carried.lastExit,
      restart: () => this.startAgain(a, place, port),
      running: (p, st) => { record(p, st.restarts, st.last_exit); this.o.onServersChanged?.(); },
    });
    const r = this.o.records;
    if (r) this.trimTimer ??= setInterval(() => { for (const [k] of this.supervisor.procs()) r.trimOutput(k, MAX_OUTPUT_BYTES); }, TRIM_MS).unref();
  }

  /** Start a supervised server again at its address, port and data folder (what its last process left is ended first). */
  private async startAgain(a: AppServer, place: { host: string; netns?: string }, port: number): Promise<Started> {
    const ctx = this.appCtx(a.id, { ...place, release: async () => {} }, a.tenant ?? ownerOf(this.appDir(a.id)));
    killMarked((m) => m === ctx.marker);
    const { proc } = a.service === 'redis' ? await startRedis(ctx, { port, durable: true }) : await this.ephemeral.startCluster(ctx, { port, durable: true });
    return proc;
  }

  /**
   * Take over the add-on servers an earlier process of this agent left running (AddonRecords.live),
   * with their namespaces: the same processes keep serving, and startForApp finds them running. One
   * whose namespace cannot be had is stopped (the server's start of its add-ons starts it again).
   */
  async adopt(found: readonly AddonRecord[]): Promise<number> {
    const r = this.o.records!;
    let adopted = 0;
    for (const a of found) {
      const proc = this.o.sandbox.adopt({ ...a.proc, statusFile: r.statusFile(a.id) });
      const place = a.netns
        ? await this.o.network?.adoptAddon?.(`app:${a.appId}`, { netns: a.netns, address: a.host }).then((n) => ({ host: n.address, netns: n.netns, release: () => n.release() }), () => undefined)
        : { host: a.host, release: async () => {} };
      if (!place) { await proc.stop(0); r.remove(a.id); continue; }
      this.places.set(a.id, [place]);
      this.running({ id: a.id, appId: a.appId, service: a.service, tenant: a.tenant }, place, a.port, proc, { startedAt: a.startedAt, restarts: a.restarts, lastExit: a.lastExit });
      adopted++;
    }
    return adopted;
  }

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

  /** Provision an app's add-on, run as `tenant` (the app's add-on uid): where it runs and its URL. */
  async provisionForApp(id: string, req: AddonRequest, appId: string, tenant?: Tenant): Promise<AppAddonMade> {
    if (req.service === 'postgresql' && this.server) {
      const place = await this.place(id, `app:${appId}`, id, req);
      const made = await this.server.create();
      return { provider: 'server-postgres', port: null, url: placedUrl(made.url, place), database: made.database };
    }
    const ctx = this.appCtx(id, await this.place(id, `app:${appId}`, id, req), tenant);
    ctx.sandbox.ownedDir(ctx.dir);
    try {
      if (req.service === 'redis') {
        const password = newRedisPassword();
        writeRedisAuth(ctx.dir, password);
        const { port, proc } = await startRedis(ctx, { durable: true });
        this.running({ id, appId, service: 'redis', tenant }, ctx, port, proc);
        return { provider: 'redis', port, url: addonUrl({ host: ctx.host, port }, { scheme: 'redis', password }), database: null };
      }
      const creds = await this.ephemeral.createCluster(ctx);
      const { port, proc } = await this.ephemeral.startCluster(ctx, { durable: true });
      this.running({ id, appId, service: 'postgresql', tenant }, ctx, port, proc);
      return { provider: 'ephemeral-postgres', port, url: addonUrl({ host: ctx.host, port }, { scheme: 'postgres', ...creds }), database: null };
    } catch (e) {
      this.o.records?.remove(id);
      await this.unplace(id);
      fs.rmSync(ctx.dir, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Start an app's add-on server again after a restart, at the address and port its URL names;
   * returns the new URL when that address could not be had again (the app's config var must follow).
   */
  async startForApp(a: AppAddonRecord, tenant?: Tenant): Promise<string | undefined> {
    if (this.places.has(a.id)) return undefined;
    if (a.provider === 'server-postgres') {
      const url = placedUrl(a.url, await this.place(a.id, `app:${a.app_id}`, a.id, { service: 'postgresql' }, a.url));
      return url === a.url ? undefined : url;
    }
    if (!a.port) return undefined;
    // Made before add-ons had credentials: it would let every tenant in (as superuser), so it stays down.
    if (!new URL(a.url).password) throw new Error('it was made before add-ons had passwords and would accept anyone; recreate it (addons:destroy, then addons:create)');
    const was = urlHost(a.url);
    const ctx = this.appCtx(a.id, await this.place(a.id, `app:${a.app_id}`, a.id, a as Pick<AddonRequest, 'service'>, a.url), tenant);
    killMarked((m) => m === ctx.marker);
    try {
      // Its files may belong to another uid (made before tenant uids, or the range changed).
      await chownTree(ctx.dir, ctx.sandbox.user);
      const service = a.service === 'redis' ? 'redis' : 'postgresql';
      const { proc } = service === 'redis' ? await startRedis(ctx, { port: a.port, durable: true }) : await this.ephemeral.startCluster(ctx, { port: a.port, durable: true });
      const carried = { restarts: a.restarts ?? 0, lastExit: a.last_exit ?? null };
      this.running({ id: a.id, appId: a.app_id, service, tenant }, ctx, a.port, proc, carried);
      this.o.events?.status(a.id, { state: 'up', restarts: carried.restarts, last_exit: carried.lastExit, changed_at: new Date().toISOString() });
    } catch (e) {
      this.o.records?.remove(a.id);
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
    await this.supervisor.forget(a.id)?.proc.stop();
    this.o.records?.remove(a.id);
    killMarked((m) => m === appAddonMarker(a.id));
    await this.unplace(a.id);
    if (a.provider === 'server-postgres' && a.database && this.server) await this.server.drop(a.database);
    fs.rmSync(this.appDir(a.id), { recursive: true, force: true });
  }

  /**
   * Stop every app add-on server (a clean stop); their data stays. `handOver` (an agent process
   * replaced by an upgrade): they keep running in their namespaces, recorded, for the next process.
   */
  async stopAppServers(handOver = false): Promise<void> {
    clearInterval(this.trimTimer);
    this.trimTimer = undefined;
    const servers = this.supervisor.forgetAll();
    if (handOver) { this.places.clear(); return; }
    await Promise.all(servers.map(async ([id, p]) => { await p.stop(); this.o.records?.remove(id); }));
    await Promise.all([...this.places.keys()].map((k) => this.unplace(k)));
  }

  /** The pids of the app add-on servers this process runs (they hold its networks, as dynos do). */
  serverPids(): number[] { return this.supervisor.procs().flatMap(([, p]) => (p.pid === undefined ? [] : [p.pid])); }

  /** Runs whose add-ons are up in this process (for shutdown). */
  liveRuns(): string[] { return [...this.live.keys()]; }
}

/** The uid and gid a folder belongs to (an add-on server recorded before its tenant was). */
function ownerOf(dir: string): Tenant | undefined {
  try { const st = fs.statSync(dir); return { uid: st.uid, gid: st.gid }; } catch { return undefined; }
}
