// `slipway agent`: one per host. It sets the host up as a server does, registers, heartbeats, and
// pulls test nodes, builds and release phases into its slots; it rides out a server that is away
// (back-off, jobs keep running, events buffered) and stops cleanly on SIGTERM/SIGINT.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Logger } from '../app-context.js';
import { checkHostAndDataDir, setUpHost } from '../host-setup.js';
import { startDefaultNetwork } from '../spaces/default-network-start.js';
import type { AgentConfig } from './agent-config.js';
import { AgentClient, AgentHttpError } from './client.js';
import { runAgentJob, type AgentJobDeps } from './agent-job.js';
import type { RegisterResponse } from './protocol.js';
import { startAgentDynos, sweepLeftovers } from './agent-dynos.js';
import { DynoRecords } from '../runtime/dyno-records.js';
import { AddonRecords } from '../addons/addon-records.js';
import { reachServer } from './reach-server.js';
import { sleep } from '../core/sleep.js';
import { AddonManager } from '../addons/addon-manager.js';
import type { AppAddonHost } from '../addons/app-addon-host.js';
import type { SpaceNetworks } from '../spaces/space-network.js';
import { loadPlan } from '../companions/companion-spaces.js';
import { followSpaces, loadFabric } from './agent-spaces.js';
import { DynoLogShipper } from './dyno-log-shipper.js';
import { AddonStatusShipper } from './addon-status-shipper.js';
import { OneOffRecords, OutlivingOneOffs, oneOffIdOf } from './outliving-one-off.js';

/** What the agent runs for the server beside it (asked over the companion socket): add-on servers and private spaces. */
export interface CompanionHost { addons: AppAddonHost; spaces: SpaceNetworks; planFile: string }

/** `host`'s add-on calls, each followed by `after` (the set of running add-on servers may have changed). */
function heldAfter(host: AppAddonHost, after: () => void): AppAddonHost {
  return {
    provisionForApp: (...a) => host.provisionForApp(...a).finally(after),
    startForApp: (...a) => host.startForApp(...a).finally(after),
    destroyForApp: (...a) => host.destroyForApp(...a).finally(after),
  };
}

/** The server will not have this agent (token unknown or revoked, protocol unsupported): retrying cannot help. */
export class AgentRefused extends Error {}

const log: Logger = {
  info: (m) => console.log(`agent: ${m}`),
  warn: (m) => console.warn(`agent: warning: ${m}`),
  error: (m) => console.error(`agent: error: ${m}`),
};

/** A refusal that retrying cannot fix, else undefined (the server is away or busy: try again). */
function refusal(e: unknown): string | undefined {
  if (!(e instanceof AgentHttpError)) return undefined;
  if (e.status === 401 || e.id === 'agent_protocol_unsupported' || e.id === 'invalid_params') return `the server refused this agent: ${e.message} (${e.id})`;
  return undefined;
}

/** Register, retrying with back-off while the server is away; refusals end the agent. The answer comes with where the agent is seen from. */
async function register(client: AgentClient, c: AgentConfig, stop: AbortSignal, resume: string[]): Promise<(RegisterResponse & { address: string; serverAddress: string }) | undefined> {
  for (let wait = 500; !stop.aborted; wait = Math.min(30_000, wait * 2)) {
    try {
      const seen = await reachServer(c.server);
      const address = c.address ?? seen.local;
      return { ...await client.register({ name: c.name, hostname: c.hostname, address, slots: c.slots, memory_mb: c.memoryMb, labels: [...c.labels], ...resume.length ? { resume } : {} }), address, serverAddress: seen.remote };
    } catch (e) {
      const why = refusal(e);
      if (why) throw new AgentRefused(why);
      log.warn(`cannot reach the server at ${c.server} (${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}); trying again in ${Math.round(wait / 1000)} s`);
      await sleep(wait, stop);
    }
  }
  return undefined;
}

/** Long-poll for one-off dynos placed on this agent and run each beside the others until `stop`. */
async function claimOneOffs(client: AgentClient, deps: AgentJobDeps, stop: AbortSignal, refuse: (why: string) => void): Promise<void> {
  const runs = new Set<Promise<void>>();
  for (let wait = 500; !stop.aborted;) {
    try {
      const job = await client.claimOneOff(10_000, stop);
      wait = 500;
      if (!job || stop.aborted) continue;
      log.info(`job ${job.id}: ${job.kind}`);
      const p = runAgentJob(job, deps, stop).then(() => log.info(`job ${job.id}: done`));
      runs.add(p);
      void p.finally(() => runs.delete(p));
    } catch (e) {
      const why = refusal(e);
      if (why) { refuse(why); break; }
      await sleep(wait, stop);
      wait = Math.min(30_000, wait * 2);
    }
  }
  await Promise.allSettled([...runs]);
}

/**
 * Run the agent until it is stopped (SIGTERM/SIGINT) or refused; `onReady` once its host is set up and
 * it is registered; `onHost` with what it runs for the server beside it (companion-addons.ts, companion-spaces.ts).
 */
export async function runAgent(c: AgentConfig, o: { onReady?: () => void; onHost?: (host: CompanionHost) => void } = {}): Promise<void> {
  checkHostAndDataDir(c.host, log);
  // Dynos an earlier process of this agent left running (it was replaced, or died): adopted, so what
  // they use is kept by every sweep below.
  const records = new DynoRecords(path.join(c.host.dataDir, 'dynos'));
  const adopting = records.live();
  // So do apps' add-on servers (their Postgres, their Redis): adopted with their namespaces.
  const addonRecords = new AddonRecords(path.join(c.host.dataDir, 'addons'));
  const adoptingAddons = addonRecords.live();
  // And detached one-offs, running or ended while no agent process ran: resumed if the server gives
  // their jobs back at registration (their leases had not run out), else stopped.
  const oneOffRecords = new OneOffRecords(path.join(c.host.dataDir, 'one-offs'));
  const leftOneOffs = oneOffRecords.live({ ended: true });
  const host = await setUpHost(c.host, log, {
    markers: new Set([...adopting, ...adoptingAddons, ...leftOneOffs].map((r) => r.proc.marker)),
    workspaces: new Set([...adopting.map((r) => r.spec.id), ...leftOneOffs.map(oneOffIdOf)]),
  });
  const stop = new AbortController();
  let refused: string | undefined;
  /** SIGUSR2 (the server replaces this process: an upgrade): the dynos and add-on servers keep running for the next process, which adopts them. */
  let handOver = false;
  const onSignal = (sig: string) => { log.info(`${sig}: stopping (running jobs are cancelled and reported${handOver ? '; the dynos keep running for the next agent process, and so do the apps\' add-on servers' : ''})…`); stop.abort(); };
  process.once('SIGINT', () => onSignal('SIGINT'));
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGUSR2', () => { handOver = true; onSignal('SIGUSR2'); });
  const running = new Set<Promise<void>>();
  let beat: NodeJS.Timeout | undefined;
  let dynos: Awaited<ReturnType<typeof startAgentDynos>> | undefined;
  let addons: AddonManager | undefined;
  const client = new AgentClient(c.server, c.token, randomBytes(8).toString('hex'));
  // A crashed add-on server's restarts go to its app's log and its status to its row (sent once the server answers).
  const addonLogs = new DynoLogShipper(client, (m) => log.warn(m));
  const addonStatus = new AddonStatusShipper(client, (m) => log.warn(m));
  let holdAddons = () => {};
  try {
    // The private spaces of the last plan the server sent (a previous process of this agent ran them):
    // their bridges and firewall adopted, and the namespaces of the dynos and add-on servers adopted
    // here; the rest of what that process left removed first, as a server does at its start. Its
    // other dynos are ended below (sweepLeftovers), its other add-on servers by the server's add-on starts.
    const planFile = path.join(c.host.dataDir, 'space-plan.json');
    const fabricFile = path.join(c.host.dataDir, 'space-fabric.json');
    const saved = loadPlan(planFile);
    const adoptedNets = [
      ...adopting.flatMap((r) => (r.net ? [{ ...r.net, group: `app:${r.spec.appId}` }] : [])),
      ...adoptingAddons.flatMap((r) => (r.netns ? [{ netns: r.netns, address: r.host, spaceId: '', group: `app:${r.appId}`, addon: true }] : [])),
      ...leftOneOffs.flatMap((r) => (r.net ? [{ ...r.net, group: `app:${(JSON.parse(r.job.payload) as { appId: string }).appId}` }] : [])),
    ];
    await host.spaces.sweep(new Set([...host.spaces.bridgesOf(saved.spaces), ...adoptedNets.flatMap((n) => host.spaces.namesOf(n))]));
    // A space spanning hosts: this host's slice of its range (and the overlay) before any address is handed out.
    const fabric = loadFabric(fabricFile);
    if (fabric) await host.spaces.setFabric(fabric).catch((e: Error) => log.error(e.message));
    await host.spaces.apply(saved).catch((e: Error) => log.error(e.message));
    await startDefaultNetwork(c.host, host.spaces, log, adoptedNets.filter((n) => !n.spaceId));
    if (c.router) await host.spaces.offerRouter(c.host.domain, c.router).catch((e: Error) => log.error(`offering the router to the default network: ${e.message}`));
    // App add-on servers on this host's network, beside the apps' dynos (asked for by the server beside it).
    addons = new AddonManager({
      sandbox: host.sandbox, workRoot: host.workRoot, templateRoot: path.join(c.host.dataDir, 'addon-templates'), pgBin: c.host.pgBin, postgresServerUrl: c.host.addonPostgresUrl, network: host.spaces, records: addonRecords,
      events: { log: (appId, source, line) => addonLogs.push(appId, source, line), status: (id, s) => addonStatus.push(id, s) },
      onServersChanged: () => holdAddons(),
    });
    if (adoptingAddons.length) log.info(`adopted ${await addons.adopt(adoptingAddons)} of ${adoptingAddons.length} add-on server(s) an earlier process of this agent left running`);
    const manager = addons;
    // They hold this agent's networks while it is away, as its dynos do (owners.ts).
    holdAddons = () => host.spaces.holdFor(manager.serverPids(), 'addons');
    holdAddons();
    o.onHost?.({ addons: heldAfter(addons, holdAddons), spaces: host.spaces, planFile });
    const reg = await register(client, c, stop.signal, leftOneOffs.map((r) => r.job.id));
    if (!reg) return;
    log.info(`registered with ${c.server} as ${reg.name} (protocol v${reg.protocol_version}, ${c.slots} slots, lease ${reg.lease_ms} ms); dynos at ${reg.address}, reachable from ${(c.routerFrom ?? [reg.serverAddress]).join(', ')} only`);
    o.onReady?.();
    let away = false;
    beat = setInterval(() => {
      client.heartbeat().then(() => { if (away) log.info('the server is back'); away = false; }).catch((e) => {
        const why = refusal(e);
        if (why) { refused = why; stop.abort(); return; }
        if (!away) log.warn(`the server is away (${(e as Error).message}); running jobs go on, their events wait`);
        away = true;
      });
    }, reg.heartbeat_ms);
    const slugDir = path.join(c.host.dataDir, 'slugs');
    fs.mkdirSync(slugDir, { recursive: true, mode: 0o711 });
    const oneOffs = new OutlivingOneOffs({
      records: oneOffRecords, sandbox: host.sandbox, workRoot: host.workRoot, network: host.spaces, log: (m) => log.warn(m),
      slugFile: async (jobId, slugId) => {
        const file = path.join(slugDir, `${jobId}-${slugId}.tgz`);
        await client.download(jobId, 'slug', file);
        fs.chmodSync(file, 0o644);
        return { path: file, done: async () => { fs.rmSync(file, { force: true }); } };
      },
    }, () => host.spaces.holdFor(oneOffs.pids(), 'one-offs'));
    const deps: AgentJobDeps = {
      oneOffs, handingOver: () => handOver,
      client, slugDir, bufferBytes: Math.floor(c.bufferBytes / Math.max(1, c.slots)), log: (m) => log.warn(m),
      whereabouts: `agent ${reg.name} on ${c.hostname} (${reg.address})`,
      exec: {
        sandbox: host.sandbox, workRoot: host.workRoot, cacheRoot: path.join(c.host.dataDir, 'cache'), buildCacheRoot: path.join(c.host.dataDir, 'build-cache'),
        network: host.spaces, slugTrees: host.slugTrees, buildpackDirs: c.host.buildpackDirs, limits: c.host.inputLimits, buildTimeoutMs: c.host.buildTimeoutSeconds * 1000,
      },
    };
    // One loop per slot: each long-polls for a job and runs it.
    const slot = async () => {
      for (let wait = 500; !stop.signal.aborted;) {
        try {
          const job = await client.claim(10_000, stop.signal);
          wait = 500;
          if (!job || stop.signal.aborted) continue;
          log.info(`job ${job.id}: ${job.kind}`);
          await runAgentJob(job, deps, stop.signal);
          log.info(`job ${job.id}: done`);
        } catch (e) {
          const why = refusal(e);
          if (why) { refused = why; stop.abort(); return; }
          await sleep(wait, stop.signal);
          wait = Math.min(30_000, wait * 2);
        }
      }
    };
    // A killed earlier process of this agent left its one-offs' workspaces (the server has ended those
    // one-offs as lost at registration): removed before this process takes any.
    const resumed = new Map((reg.resumed ?? []).map((j) => [j.id, j.seq]));
    await sweepLeftovers(host.workRoot, (m) => log.warn(`one-offs: ${m}`), 'one-off', new Set(leftOneOffs.map(oneOffIdOf)));
    for (const r of leftOneOffs) {
      const seq = resumed.get(r.job.id);
      if (seq === undefined) {
        log.warn(`job ${r.job.id}: a one-off an earlier process of this agent left running was not given back by the server (its lease ran out first: it ended as lost); stopping it`);
        await oneOffs.abandon(r).catch((e: Error) => log.error(`stopping one-off job ${r.job.id}: ${e.message}`));
        continue;
      }
      log.info(`job ${r.job.id}: one-off resumed (process ${r.proc.pid}, from batch ${seq + 1})`);
      running.add(runAgentJob(r.job, deps, stop.signal, { record: r, seq }).then(() => log.info(`job ${r.job.id}: done`)));
    }
    for (let i = 0; i < c.slots; i++) { const p = slot(); running.add(p); }
    // Private spaces, when the operator allowed this agent to run them: read over the protocol (a space app's dyno waits until its space is built here).
    if (reg.spaces) running.add(followSpaces({ client, spaces: host.spaces, planFile, fabricFile, log: (m) => log.warn(m), stop: stop.signal }));
    // One-off dynos: placed on this agent by the server (bounded by memory, as dynos are), each run as it comes.
    running.add(claimOneOffs(client, deps, stop.signal, (why) => { refused = why; stop.abort(); }));
    // Dynos beside the job slots (their first pass may download slugs and boot dynos: jobs need not wait).
    dynos = await startAgentDynos({
      client, host, config: c.host, advertise: reg.address, routerFrom: new Set(c.routerFrom ?? [reg.serverAddress]), log: (m) => log.warn(`dynos: ${m}`),
      records, adopting, direct: c.directDynos,
    });
    await Promise.all(running);
    // An agent with no job slots runs dynos until it is stopped.
    if (!stop.signal.aborted) await new Promise((r) => stop.signal.addEventListener('abort', r, { once: true }));
  } finally {
    clearInterval(beat);
    stop.abort();
    await Promise.allSettled([...running]);
    await dynos?.close(handOver);
    // Add-on servers live in namespaces of the default network: stopped (their data kept) before it goes.
    await addons?.stopAppServers(handOver);
    await Promise.all([addonLogs.close(), addonStatus.close()]);
    // Handing over, the host's networks, cgroups and workspace filesystems stay for the dynos (the next process sweeps what they do not use).
    if (!handOver) await host.close();
  }
  if (refused) throw new AgentRefused(refused);
}
