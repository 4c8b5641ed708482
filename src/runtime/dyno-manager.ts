// Dynos: sandboxed processes of a release's slug, one per formation slot. Web dynos must accept
// connections on $PORT within the boot timeout; crashed dynos restart with growing back-off;
// a new release starts its web dynos and waits for them before the old ones are stopped.
import fs from 'node:fs';
import type { Sandbox, Started } from '../sandbox/sandbox.js';
import { killMarked } from '../sandbox/process-tree.js';
import { forTenant } from '../sandbox/tenant-sandbox.js';
import type { Tenant } from '../sandbox/user.js';
import { removeWorkspace, workspaceFull, type Workspace } from '../ci/workspace.js';
import { freePort } from '../addons/local-server.js';
import { unpackSlug, dynoEnv, dynoCommand } from './slug-workspace.js';
import type { SlugSource, SlugTrees } from './slug-trees.js';
import type { DynoNet, DynoNetworks } from '../spaces/space-network.js';
import { canConnect, answers2xx as healthy } from './boot-check.js';
import { limitsFor, type DynoSize } from '../core/dyno-size.js';
import { memoryLine, r14Due, r15Lines, R14 } from './memory-quota.js';
import { procStartTime } from '../sandbox/adopted.js';
import type { DynoRecord, DynoRecords } from './dyno-records.js';
import { MAX_UNREAD_BYTES, OutputTail } from './dyno-output.js';
import { canConnect as listening } from './boot-check.js';

import { DYNO, type DynoState } from '../core/dyno-status.js';
import { crashBackoffMs } from '../core/crash-backoff.js';
export type { DynoState };

/**
 * `tenant`: the app's own uid, every dyno of it runs as (undefined: the sandbox user). `slugFile`:
 * where this host keeps the slug (not fetched yet when the host has its tree, see SlugTrees).
 */
export interface DeployedRelease { id: string; version: number; slugId?: string; slugFile: string; config: Record<string, string>; tenant?: Tenant }

export interface Dyno {
  id: string;
  /** The private space it was placed in (see DynoSpec). */
  space?: string | null;
  name: string; // web.1
  type: string;
  /** Its dyno size: the limits it runs under and the quota R14 is measured against. */
  size: DynoSize;
  appId: string;
  release: DeployedRelease;
  /** Where the dyno listens: 127.0.0.1 in the common runtime, its own address in a space. */
  host: string;
  port: number;
  net?: DynoNet;
  state: DynoState;
  command: string;
  startedAt: string;
  /** When its state last changed. */
  changedAt: string;
  restarts: number;
  proc?: Started;
  ws?: Workspace;
  stopping?: boolean;
  /** Taken out of the router; stops once its requests in flight are answered. */
  draining?: boolean;
  timer?: NodeJS.Timeout;
  /** Checks memory use against the quota while the process runs. */
  memoryTimer?: NodeJS.Timeout;
  r14At?: number;
  /** Its output file's reader (a dyno that outlives this process writes to a file, not a pipe). */
  tail?: OutputTail;
  /** Its record's output offset, kept between saves. */
  offset?: number;
}

export interface DynoManagerOptions {
  sandbox: Sandbox;
  workRoot: string;
  bootTimeoutMs: number;
  stopGraceMs: number;
  log(appId: string, source: string, line: string): void;
  /** A dyno's state changed (the agent reports it). */
  onChange?(d: Dyno): void;
  /** Requests the router has in flight to a dyno, so it is stopped only once they are answered. */
  inFlight?(dyno: Pick<Dyno, 'id' | 'host' | 'port'>): number;
  /** The longest a stopping web dyno waits for its requests in flight (the router's timeout). */
  drainMs?: number;
  /** Private spaces: a network namespace per dyno of an app in a space. */
  network?: DynoNetworks;
  /**
   * The set of web targets changed: resolves once the router serves the new set (the nginx data
   * plane reloads), so old dynos are drained only after new ones receive traffic.
   */
  onTargetsChanged?(): Promise<void>;
  /** How often a dyno's memory is compared with its quota (R14); default 2 s. */
  memoryCheckMs?: number;
  /**
   * Dynos outlive this process (an agent process replaced by an upgrade or a restart): each is
   * recorded here, writes its output to a file of the agent's, and the next process adopts it.
   */
  records?: DynoRecords;
  /** This host's unpacked slugs: a dyno's app folder is an overlay of its release's tree. */
  slugTrees?: SlugTrees;
  /** Fetch a slug to this host (when its file is not here and the host has no tree of it). */
  fetchSlug?(slugId: string): Promise<string>;
}

/** Config vars that tune deploys per app (beyond Heroku). */
export const HEALTHCHECK_VAR = 'SLIPWAY_HEALTHCHECK_PATH';

/** One dyno to start: its id comes from the desired state (a new id for every replacement). */
/** `space`: the private space the control plane placed it in (null: the common runtime; undefined: as the network knows the app). */
export interface DynoSpec { id: string; appId: string; release: DeployedRelease; type: string; name: string; command: string; size: DynoSize; space?: string | null }

export class DynoManager {
  private apps = new Map<string, Dyno[]>();
  constructor(private o: DynoManagerOptions) {}

  list(appId: string): Dyno[] { return this.apps.get(appId) ?? []; }

  /** Every dyno of every app (what the agent reports). */
  all(): Dyno[] { return [...this.apps.values()].flat(); }

  /**
   * Start `fresh` and stop `leaving` without downtime: fresh web dynos must boot before the leaving
   * ones are taken out of the router and drained. When web dynos were to replace web dynos that
   * serve and none boots, the leaving ones keep serving, the fresh ones stop and false is returned.
   */
  async replace(appId: string, fresh: readonly DynoSpec[], leaving: readonly Dyno[]): Promise<boolean> {
    const started: Dyno[] = [];
    for (const spec of fresh) started.push(await this.spawn(spec));
    this.apps.set(appId, [...this.list(appId), ...started]);
    const webs = started.filter((d) => d.type === 'web');
    const booted = await Promise.all(webs.map((d) => this.waitUp(d)));
    if (webs.length && !booted.some(Boolean) && leaving.some((d) => d.type === 'web' && d.state === 'up')) {
      this.o.log(appId, 'app[api]', `v${webs[0]!.release.version}: no web dyno booted; the previous release keeps serving`);
      await Promise.all(started.map((d) => this.stop(d)));
      this.apps.set(appId, this.list(appId).filter((d) => !started.includes(d)));
      return false;
    }
    this.apps.set(appId, this.list(appId).filter((d) => !leaving.includes(d)));
    if (!this.list(appId).length) this.apps.delete(appId);
    await this.o.onTargetsChanged?.();
    // The router now sends new requests to the new dynos; the old ones stop once their requests are answered.
    await Promise.all(leaving.map((d) => this.drainAndStop(d)));
    return true;
  }

  /** Take over the dynos an earlier process of this agent left running (see DynoRecords.live); their exit, output, memory and stop work as for dynos started here. */
  async adopt(found: readonly DynoRecord[]): Promise<void> {
    for (const r of found) {
      const d: Dyno = { ...r.spec, host: r.host, port: r.port, ws: r.ws, state: 'starting', startedAt: r.startedAt, changedAt: new Date().toISOString(), restarts: r.restarts, offset: r.offset };
      const net = r.net && await this.o.network?.adopt?.(d.appId, d.id, r.net, { process: d.type, index: Number(d.name.split('.')[1]) }).catch((e: Error) => { this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: adopting its network: ${e.message}`); return undefined; });
      if (r.net && !net) { await this.sandbox(d).adopt({ ...r.proc, statusFile: this.o.records!.statusFile(d.id) }).stop(0); this.o.records!.remove(d.id); continue; }
      d.net = net;
      const proc = this.sandbox(d).adopt({ ...r.proc, statusFile: this.o.records!.statusFile(d.id), limits: limitsFor(d.size) });
      this.apps.set(d.appId, [...this.list(d.appId), d]);
      this.watch(d, proc, r.ws, r.offset);
      this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: adopted (process ${r.proc.pid}, running since ${r.startedAt}) by a new agent process`);
      // Bounded: an address that does not answer must not hold up the adoption of the others.
      if (d.type !== 'web' || await Promise.race([listening(d.host, d.port), new Promise<boolean>((r) => setTimeout(() => r(false), 2000))])) this.setState(d, 'up');
      else void this.waitUp(d);
    }
  }

  /** Leave every dyno running for the next process of this agent (an upgrade): their output read so far, their records kept. */
  handOver(): void {
    for (const d of this.all()) {
      clearTimeout(d.timer);
      clearInterval(d.memoryTimer);
      d.stopping = true;
      d.tail?.close(false);
      d.tail = undefined;
    }
    this.apps.clear();
  }

  /** Stop every dyno (shutdown: the desired state brings them back on the next start). */
  async shutdown(): Promise<void> {
    const dynos = this.all();
    this.apps.clear();
    await this.o.onTargetsChanged?.();
    await Promise.all(dynos.map((d) => this.stop(d)));
  }

  private async spawn(spec: DynoSpec): Promise<Dyno> {
    const d: Dyno = { ...spec, host: '127.0.0.1', port: await freePort(), state: 'starting', startedAt: new Date().toISOString(), changedAt: new Date().toISOString(), restarts: 0 };
    // A server killed while this dyno ran may have left its processes (same id: same marker).
    killMarked((m) => m === d.id);
    await this.boot(d);
    return d;
  }

  private sandbox(d: Dyno): Sandbox { return forTenant(this.o.sandbox, d.release.tenant); }

  /** The release's slug: its id (for the host's tree) and its file, fetched only if it must be unpacked and is not here. */
  private slugOf(r: DeployedRelease): string | SlugSource {
    const fetch = this.o.fetchSlug;
    if (!r.slugId || !this.o.slugTrees) return r.slugFile;
    return { id: r.slugId, file: async () => (fs.existsSync(r.slugFile) || !fetch ? r.slugFile : fetch(r.slugId!)) };
  }

  private async boot(d: Dyno): Promise<void> {
    const sandbox = this.sandbox(d);
    this.setState(d, 'starting');
    d.startedAt = new Date().toISOString();
    this.o.log(d.appId, `heroku[${d.name}]`, `Starting process ${d.name} with command \`${d.command}\` (v${d.release.version})`);
    try {
      // In a space the dyno gets a namespace and address of its own (so every dyno may use port
      // 5000); if that fails it must not run on the host's network instead: it crashes and retries.
      if (!d.net) {
        d.net = await this.o.network?.forApp(d.appId, d.id, { process: d.type, index: Number(d.name.split('.')[1]) }, d.space);
        if (d.net) { d.host = d.net.address; d.port = 5000; }
        if (d.stopping) { await d.net?.release(); return; }
      }
      d.ws ??= await unpackSlug(sandbox, this.o.workRoot, d.id, this.slugOf(d.release), limitsFor(d.size).diskMb, this.o.slugTrees);
      // Stopped while its slug was unpacked: stop() found no process to end, so none may start now.
      if (d.stopping) { await removeWorkspace(this.o.workRoot, d.id).catch(() => {}); return; }
    } catch (e) {
      this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: ${(e as Error).message}`);
      return this.crashed(d, null);
    }
    const line = (source: string) => {
      let rest = '';
      return (c: Buffer) => {
        const lines = (rest + c.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const l of lines) this.o.log(d.appId, source, l);
      };
    };
    const ws = d.ws;
    // Written at its end (O_APPEND), whatever the file's size or holes: the agent gives read bytes back to the disk under it.
    const files = this.o.records?.openFiles(d.id, { append: true });
    try {
      d.proc = sandbox.start({
        argv: dynoCommand(ws, d.command), cwd: ws.app, writable: [ws.root], tmpDir: ws.tmp, marker: d.id, netns: d.net?.netns,
        env: dynoEnv(ws, d.release.config, { PORT: String(d.port), DYNO: d.name }), limits: limitsFor(d.size),
        ...files ? { outlive: files } : { onStdout: line(`app[${d.name}]`), onStderr: line(`app[${d.name}]`) },
      });
    } finally {
      // The dyno holds its own copies of the fds.
      if (files) { fs.closeSync(files.output); fs.closeSync(files.status); }
    }
    if (d.type !== 'web') this.setState(d, 'up');
    this.watch(d, d.proc, ws, 0);
  }

  /** Follow a running process of `d` (started or adopted): its output file, its memory, and its end (a crash, or a full disk). */
  private watch(d: Dyno, proc: Started, ws: Workspace, offset: number): void {
    d.proc = proc;
    d.offset = offset;
    const records = this.o.records;
    const startTime = proc.pid === undefined ? undefined : procStartTime(proc.pid);
    const save = () => {
      if (records && proc.pid !== undefined && startTime && d.proc === proc) {
        records.save({ spec: { id: d.id, appId: d.appId, release: d.release, type: d.type, name: d.name, command: d.command, size: d.size, space: d.space }, host: d.host, port: d.port, net: d.net && { netns: d.net.netns, address: d.net.address, spaceId: d.net.spaceId }, ws, proc: { pid: proc.pid, startTime, marker: proc.marker }, startedAt: d.startedAt, restarts: d.restarts, offset: d.offset ?? 0 });
      }
    };
    save();
    // This process's tail, closed when it ends (and only then: stop() finds it gone from the dyno).
    const tail = records && new OutputTail(records.outputFile(d.id), offset, {
      line: (l) => this.o.log(d.appId, `app[${d.name}]`, l),
      dropped: (bytes) => this.o.log(d.appId, 'heroku[logplex]', `Error L10 (output buffer overflow): ${d.name} wrote ${bytes} bytes more than the ${Math.round(MAX_UNREAD_BYTES / 2 ** 20)} MB kept while no agent process read its output; they were dropped`),
      onOffset: (o) => { d.offset = o; save(); },
      failed: (message) => this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: ${message}`),
    });
    d.tail = tail;
    d.memoryTimer = setInterval(() => this.checkMemory(d, proc), this.o.memoryCheckMs ?? 2000);
    void proc.result.then(async (r) => {
      clearInterval(d.memoryTimer);
      tail?.close(true);
      if (d.tail === tail) d.tail = undefined;
      if (d.stopping) return;
      const src = `heroku[${d.name}]`;
      if (r.limitExceeded?.resource === 'memory') for (const l of r15Lines(r.limitExceeded.usedMb, d.size.quotaMb)) this.o.log(d.appId, src, l);
      // Stopped by the du watcher, or (on a filesystem of its own) it ended with that filesystem full.
      const full = r.limitExceeded?.resource === 'disk' ? `${r.limitExceeded.usedMb} MB written` : workspaceFull(ws) ? 'its filesystem is full' : undefined;
      if (full) {
        this.o.log(d.appId, src, `Disk quota exceeded: ${full}, the limit of a ${d.size.name} dyno is ${limitsFor(d.size).diskMb} MB; it restarts with a fresh filesystem`);
        // As on Heroku a restarted dyno starts from the slug again, so a full disk does not follow it.
        d.ws = undefined;
        await removeWorkspace(this.o.workRoot, d.id).catch((e: Error) => this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: ${e.message}`));
      }
      this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: process exited with status ${r.exitCode ?? r.signal ?? 'unknown'}`);
      this.crashed(d, r.exitCode);
    });
  }

  /** Moves only as the dyno table allows; an illegal move (an ordering bug) is logged and not made. */
  private setState(d: Dyno, state: DynoState): void {
    if (d.state !== state && !DYNO.can(d.state, state)) {
      this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: refused to change state from ${d.state} to ${state} (not a legal move)`);
      return;
    }
    d.state = state;
    d.changedAt = new Date().toISOString();
    this.o.onChange?.(d);
  }

  /** Heroku's R14: a dyno over its memory quota is told so in the app log (it keeps running until the hard limit). */
  private checkMemory(d: Dyno, proc: Started): void {
    const used = proc.memoryBytes();
    if (used === undefined || !r14Due(used, d.size.quotaMb, d.r14At, Date.now())) return;
    d.r14At = Date.now();
    this.o.log(d.appId, `heroku[${d.name}]`, memoryLine(used, d.size.quotaMb));
    this.o.log(d.appId, `heroku[${d.name}]`, R14);
  }

  /** A web dyno is up once its port accepts connections; past the boot timeout it is restarted. */
  private async waitUp(d: Dyno): Promise<boolean> {
    if (d.type !== 'web') return true;
    const deadline = Date.now() + this.o.bootTimeoutMs;
    while (Date.now() < deadline && !d.stopping) {
      if (d.state === 'crashed') return false;
      const check = d.release.config[HEALTHCHECK_VAR];
      if (await canConnect(d.host, d.port) && (!check || await healthy(d.host, d.port, check))) {
        this.setState(d, 'up');
        this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: state changed from starting to up${check ? ` (${check} answered 2xx)` : ''}`);
        return true;
      }
      // Often for the first seconds (a deploy waits on this), then less.
      await new Promise((r) => setTimeout(r, Date.now() < deadline - this.o.bootTimeoutMs + 2000 ? 25 : 100));
    }
    if (d.stopping) return false;
    const check = d.release.config[HEALTHCHECK_VAR];
    this.o.log(d.appId, `heroku[${d.name}]`, check
      ? `Error R10 (Boot timeout) -> ${d.name} did not answer 2xx on ${check} within ${this.o.bootTimeoutMs / 1000} seconds of launch`
      : `Error R10 (Boot timeout) -> ${d.name} failed to bind to $PORT within ${this.o.bootTimeoutMs / 1000} seconds of launch`);
    await d.proc?.stop();
    return false;
  }

  /** Crash: restart after 1 s, 2 s, 4 s … up to 5 minutes (reset by a new release). */
  private crashed(d: Dyno, _code: number | null): void {
    this.setState(d, 'crashed');
    if (d.stopping) return;
    const delay = crashBackoffMs(d.restarts);
    d.restarts++;
    this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: state changed to crashed; restarting in ${delay / 1000} s (restart ${d.restarts})`);
    d.timer = setTimeout(() => {
      if (d.stopping) return;
      // A timer's error has no caller to go to: said in the app's log, never the end of the agent process.
      void this.boot(d).then(() => this.waitUp(d)).catch((e: Error) => this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: restarting it failed: ${e.message}`));
    }, delay);
  }

  /** Out of the router already: wait until its requests in flight are answered (bounded), then stop. */
  private async drainAndStop(d: Dyno): Promise<void> {
    d.draining = true;
    const until = Date.now() + (this.o.drainMs ?? 30_000);
    await new Promise((r) => setTimeout(r, 50)); // a request routed just before the switch reaches the router's count
    while (!d.stopping && Date.now() < until && (this.o.inFlight?.(d) ?? 0) > 0) await new Promise((r) => setTimeout(r, 50));
    await this.stop(d);
  }

  private async stop(d: Dyno): Promise<void> {
    d.stopping = true;
    clearTimeout(d.timer);
    clearInterval(d.memoryTimer);
    if (d.proc && d.state !== 'crashed') this.o.log(d.appId, `heroku[${d.name}]`, `Stopping ${d.name} (SIGTERM)`);
    await d.proc?.stop(this.o.stopGraceMs);
    // Its process's end closed its tail already; a tail still here belongs to a process that did not end.
    d.tail?.close(true);
    d.tail = undefined;
    this.o.records?.remove(d.id);
    this.setState(d, 'down');
    killMarked((m) => m === d.id);
    await d.net?.release();
    await removeWorkspace(this.o.workRoot, d.id).catch((e: Error) => this.o.log(d.appId, `heroku[${d.name}]`, `${d.name}: ${e.message}`));
  }
}
