// SLIPWAY_LOCAL_AGENT=process: `slipway server` runs a `slipway agent` beside itself (or adopts the
// one a previous server left running) that runs this host's dynos over the agent protocol, so the
// dynos outlive a crash, restart or upgrade of the server.
import path from 'node:path';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { Config } from '../config.js';
import type { Logger } from '../app-context.js';
import { Companion } from './companions.js';
import { OneOffRecords, oneOffIdOf } from '../agent/outliving-one-off.js';
import { DynoRecords } from '../runtime/dyno-records.js';
import { AddonRecords } from '../addons/addon-records.js';
import { appAddonMarker } from '../addons/addon-manager.js';
import { sweepHost } from '../host-setup.js';
import { mintLocalAgentToken } from '../store/local-agent-token.js';
import { CompanionSpaces } from './companion-spaces.js';
import type { SpaceNetworks } from '../spaces/space-network.js';

/** The local agent process's data folder, its workspaces and its companion socket, under the server's data folder. */
export function localAgentPaths(serverDataDir: string): { dataDir: string; workRoot: string; socket: string } {
  const dataDir = path.join(serverDataDir, 'local-agent');
  return { dataDir, workRoot: path.join(dataDir, 'workspaces'), socket: path.join(serverDataDir, 'companions', 'agent.sock') };
}

/** Adopt the local agent process a previous server left, or start one; it registers as agent `name` (dynos placed on it run there). */
export async function startLocalAgentCompanion(o: { config: Config; db: Kysely<Database>; log: Logger; serverUrl: string; name: string; router: { host: string; port: number } }): Promise<Companion> {
  const c = o.config;
  const { dataDir, socket } = localAgentPaths(c.dataDir);
  const companion = new Companion({ dir: path.dirname(socket), kind: 'agent', log: o.log, versionTag: c.companionVersionTag });
  const router = `${o.router.host}:${o.router.port}`;
  await companion.adoptOrStart(`${o.serverUrl} ${dataDir} ${router}`, async () => ({
    args: [],
    env: {
      ...c.companionEnv, SLIPWAY_AGENT_SERVER: o.serverUrl, SLIPWAY_AGENT_TOKEN: await mintLocalAgentToken(o.db, o.name),
      // The server's slug trees: a release phase's tree serves the release's dynos here too.
      SLIPWAY_SLUG_TREES_DIR: c.slugTreesDir,
      SLIPWAY_AGENT_DATA_DIR: dataDir, SLIPWAY_AGENT_NAME: o.name, SLIPWAY_AGENT_ADDRESS: '127.0.0.1', SLIPWAY_AGENT_ROUTER: router,
      // Dynos only: the server's own runner takes this host's jobs (builds and test nodes keep its caches).
      SLIPWAY_AGENT_SLOTS: '0',
      // The router runs here as root: it reaches the dynos at their own addresses, so they keep serving while this process is replaced.
      SLIPWAY_AGENT_DIRECT_DYNOS: 'on',
    },
  }));
  return companion;
}

/**
 * A clean stop of the local agent: its dynos and apps' add-on servers stop with it. They outlive
 * their agent process, so when it had died (and was not started again), or had to be killed before
 * it stopped them, what they and it left (processes, workspace filesystems and loop devices, cgroups,
 * namespaces) is removed here: a stopped server leaves nothing running. The add-ons' data stays.
 */
export async function stopLocalAgent(companion: Companion, config: Pick<Config, 'dataDir' | 'dynoStopGraceMs'>, log: Logger): Promise<void> {
  const how = await companion.stop(config.dynoStopGraceMs + 10_000);
  const { dataDir } = localAgentPaths(config.dataDir);
  const records = new DynoRecords(path.join(dataDir, 'dynos'));
  const addons = new AddonRecords(path.join(dataDir, 'addons'));
  const oneOffs = new OneOffRecords(path.join(dataDir, 'one-offs'));
  const left = records.live();
  const addonsLeft = addons.live();
  const oneOffsLeft = oneOffs.live({ ended: true });
  if (how === 'stopped' && !left.length && !addonsLeft.length && !oneOffsLeft.length) return;
  const ended = await sweepHost(dataDir, [...left.map((r) => r.spec.id), ...addonsLeft.map((r) => appAddonMarker(r.id)), ...oneOffsLeft.map(oneOffIdOf)], log, (folder) => folder.startsWith(appAddonMarker('')));
  for (const r of left) records.remove(r.spec.id);
  for (const r of addonsLeft) addons.remove(r.id);
  for (const r of oneOffsLeft) oneOffs.remove(r.job.id);
  log.warn(`agent: ${how === 'none' ? 'no agent process ran' : how === 'killed' ? 'killed past its grace' : 'stopped'} with ${left.length} dyno(s), ${addonsLeft.length} add-on server(s) and ${oneOffsLeft.length} one-off(s) left running: ended ${ended} process(es) and removed what they used (workspaces, namespaces, cgroups; the add-ons' data stays)`);
}

/** The local agent process owns this host's private spaces: the server's network object asks it (companion-spaces.ts). */
export function delegateSpaces(config: Pick<Config, 'dataDir'>, spaces: Pick<SpaceNetworks, 'delegate'>): void {
  const { dataDir, socket } = localAgentPaths(config.dataDir);
  spaces.delegate(new CompanionSpaces(socket, dataDir));
}
