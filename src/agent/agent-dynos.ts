// A remote agent's dynos: the same Reconciler and DynoManager as the server's embedded agent, fed
// over HTTP (HttpDesiredState, long-polled), with slugs downloaded from the server, dyno output
// sent to the apps' logs, and each dyno reached by the router through a port of the agent's own
// address (DynoForwarder). The old dyno of a swap is drained only after a report told the router.
import fs from 'node:fs';
import path from 'node:path';
import { DynoManager, type Dyno } from '../runtime/dyno-manager.js';
import { Reconciler } from '../runtime/reconciler.js';
import { findMarkedProcesses, killMarked } from '../sandbox/process-tree.js';
import { removeWorkspace } from '../ci/workspace.js';
import type { Host } from '../host-setup.js';
import type { Config } from '../config.js';
import type { DesiredDyno } from '../runtime/desired-state.js';
import type { AgentClient } from './client.js';
import { HttpDesiredState } from './http-desired-state.js';
import { DynoForwarder } from './dyno-forwarder.js';
import { DynoLogShipper } from './dyno-log-shipper.js';
import { sleep } from '../core/sleep.js';
import type { DynoRecord, DynoRecords } from '../runtime/dyno-records.js';
import { openConnections } from './dyno-connections.js';
import type { Tenant } from '../sandbox/user.js';

export interface AgentDynosOptions {
  client: AgentClient;
  host: Pick<Host, 'sandbox' | 'workRoot' | 'spaces' | 'slugTrees'>;
  config: Pick<Config, 'dataDir' | 'bootTimeoutSeconds' | 'dynoStopGraceMs' | 'routerTimeoutMs'>;
  /** The agent's advertised address: where the router reaches its dynos. */
  advertise: string;
  /** The router's addresses: the only peers the dyno ports accept. */
  routerFrom: ReadonlySet<string>;
  log(line: string): void;
  intervalMs?: number;
  /** Where the dynos are recorded, so they outlive this process (DynoRecords), and those an earlier process left running (adopted). */
  records?: DynoRecords;
  adopting?: readonly DynoRecord[];
  /** The router reaches the dynos at their own addresses (AgentConfig.directDynos), not through the forwarder. */
  direct?: boolean;
}

const SLUG_ID = /^[\w-]{1,100}$/;

/** Start reconciling this host's dynos; `close` stops them (the desired state is left as it is). */
export async function startAgentDynos(o: AgentDynosOptions): Promise<{ close(handOver?: boolean): Promise<void> }> {
  const adopting = o.adopting ?? [];
  await sweepLeftovers(o.host.workRoot, o.log, 'dyno', new Set(adopting.map((r) => r.spec.id)));
  const port = new HttpDesiredState(o.client);
  const forwarder = new DynoForwarder(o.routerFrom, o.log);
  const logs = new DynoLogShipper(o.client, o.log);
  const slugDir = path.join(o.config.dataDir, 'dyno-slugs');
  fs.mkdirSync(slugDir, { recursive: true, mode: 0o711 });
  const downloads = new Map<string, Promise<string>>();
  const trees = o.host.slugTrees;
  const download = (slugId: string): Promise<string> => {
    if (!SLUG_ID.test(slugId)) return Promise.reject(new Error(`the server sent an invalid slug id ${JSON.stringify(slugId)}`));
    const file = path.join(slugDir, `${slugId}.tgz`);
    if (fs.existsSync(file)) return Promise.resolve(file);
    const pending = downloads.get(slugId) ?? (async () => {
      const tmp = `${file}.part`;
      await o.client.downloadSlug(slugId, tmp);
      fs.chmodSync(tmp, 0o644);
      fs.renameSync(tmp, file);
      return file;
    })().finally(() => downloads.delete(slugId));
    downloads.set(slugId, pending);
    return pending;
  };
  // A slug this host has unpacked already (its release phase ran here) is not downloaded: the dyno mounts its tree.
  const slugFile = (slugId: string, tenant?: Tenant): Promise<string> => (SLUG_ID.test(slugId) && trees?.has(slugId, tenant?.uid ?? o.host.sandbox.user.uid) ? Promise.resolve(path.join(slugDir, `${slugId}.tgz`)) : download(slugId));
  let closed = false;
  const hooks = { report: (): Promise<void> => Promise.resolve() };
  const manager = new DynoManager({
    sandbox: o.host.sandbox, workRoot: o.host.workRoot, bootTimeoutMs: o.config.bootTimeoutSeconds * 1000, stopGraceMs: o.config.dynoStopGraceMs,
    log: (appId, source, line) => logs.push(appId, source, line), network: o.host.spaces,
    // A dyno the router reaches directly: the host's open connections to it (a leaving dyno is no longer in the manager's list).
    inFlight: (d) => (o.direct ? openConnections(d.host, d.port) : forwarder.inFlight(d.id)),
    drainMs: o.config.routerTimeoutMs, records: o.records, slugTrees: trees, fetchSlug: download,
    onChange: () => { void hooks.report(); },
    // The router must have been told before an old dyno drains: report until the server took it (bounded by the drain time).
    onTargetsChanged: async () => {
      const until = Date.now() + o.config.routerTimeoutMs;
      for (;;) {
        await hooks.report();
        if (port.reported || closed || Date.now() > until) return;
        await sleep(1000);
      }
    },
  });
  // While the server is away every pass fails the same way: said once, not every 2 s.
  let last = '';
  const once = (line: string) => { if (line !== last) o.log(line); last = line; };
  const reconciler = new Reconciler({
    agentId: 'self', port, dynos: manager, slugFile, intervalMs: o.intervalMs ?? 2000, log: once,
    expose: o.direct ? undefined : async (d: Dyno) => ({ host: o.advertise, port: await forwarder.expose(d) }),
  });
  if (adopting.length) {
    await manager.adopt(adopting);
    o.log(`adopted ${manager.all().length} of ${adopting.length} dyno(s) an earlier process of this agent left running`);
  }
  hooks.report = async () => {
    if (o.records) o.host.spaces.holdFor(manager.all().flatMap((d) => (d.proc?.pid === undefined ? [] : [d.proc.pid])));
    await reconciler.report();
    forwarder.retain(new Set(manager.all().map((d) => d.id)));
  };
  await reconciler.start();
  // Long poll: a change of the desired set is applied as soon as the server has it. Ended at close:
  // a pending poll kept a stopped agent's process alive for up to 20 s.
  const stopWatching = new AbortController();
  const watching = (async () => {
    for (let wait = 500; !closed;) {
      try {
        if (await port.watch(20_000, stopWatching.signal) && !closed) { await reconciler.poke(); pruneSlugs(slugDir, manager, await port.desired('self'), downloads); }
        wait = 500;
      } catch (e) {
        if (closed) return;
        o.log(`watching the desired dynos: ${(e as Error).message}`);
        await sleep(wait, stopWatching.signal);
        wait = Math.min(30_000, wait * 2);
      }
    }
  })();
  return {
    async close(handOver = false) {
      closed = true;
      stopWatching.abort();
      await reconciler.stop(handOver);
      forwarder.closeAll();
      await logs.close();
      await watching;
    },
  };
}

/** Workspaces (and processes) of `kind` an earlier process of this agent left (it was killed): ended and removed, but the adopted dynos' in `keep`. */
export async function sweepLeftovers(workRoot: string, log: (line: string) => void, kind: 'dyno' | 'one-off' = 'dyno', keep: ReadonlySet<string> = new Set()): Promise<void> {
  const prefix = kind === 'dyno' ? 'dyno-' : 'run-';
  const ids = new Set(fs.readdirSync(workRoot).filter((n) => n.startsWith(prefix) && !keep.has(n)));
  if (!ids.size) return;
  const killed = killMarked((m) => ids.has(m));
  // SIGKILL is not instant: a process still exiting keeps its workspace's filesystem busy.
  for (const until = Date.now() + 5000; findMarkedProcesses((m) => ids.has(m)).length && Date.now() < until;) await sleep(100);
  for (const id of ids) await removeWorkspace(workRoot, id).catch((e: Error) => log(`removing the workspace of ${id}: ${e.message}`));
  log(`removed ${ids.size} ${kind} workspace(s) a previous run left behind${killed ? ` and ended ${killed} of its processes` : ''}`);
}

/** Slugs neither a running dyno nor a desired one uses (a dyno being started is desired; a crashed one restarts from its slug). */
function pruneSlugs(slugDir: string, manager: Pick<DynoManager, 'all'>, desired: readonly DesiredDyno[], downloading: ReadonlyMap<string, unknown>): void {
  const used = new Set([...manager.all().map((d) => path.basename(d.release.slugFile)), ...desired.map((d) => `${d.slugId}.tgz`), ...[...downloading.keys()].map((id) => `${id}.tgz`)]);
  for (const f of fs.readdirSync(slugDir)) if (f.endsWith('.tgz') && !used.has(f)) fs.rmSync(path.join(slugDir, f), { force: true });
}
