// Setting up a host to execute on, the same for the server (embedded runner) and for an agent:
// the doctor's checks, the data folder, host tools, the sandbox with its limits and workspace disks,
// and the network object (its default network comes up once spaces are restored).
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from './config.js';
import type { Logger } from './app-context.js';
import { createSandbox, type Sandbox } from './sandbox/sandbox.js';
import { resolveHostTools } from './sandbox/host-tools.js';
import { createLimiter } from './sandbox/cgroups.js';
import { openWorkspaceDisks, sweepWorkspaceDisks } from './sandbox/workspace-disk.js';
import { findMarkedProcesses, killMarked } from './sandbox/process-tree.js';
import { sleep } from './core/sleep.js';
import { SpaceNetworks } from './spaces/space-network.js';
import { runChecks, formatChecks } from './doctor/checks.js';
import { hostFacts } from './doctor/host-facts.js';
import { dropSharedCompiles } from './ci/shared-compile.js';
import { SlugTrees, treeMaxMb } from './runtime/slug-trees.js';
import { isUnder } from './sandbox/mount-table.js';

/** The host problems that stop a start-up, one block each (what, why, what to do). */
export class StartupError extends Error {}

/** Run the doctor's checks: warnings go to the log, fatal problems stop the start-up; then make the data folder. */
export function checkHostAndDataDir(config: Config, log: Logger): void {
  const checks = runChecks(config, hostFacts(config));
  for (const c of checks.filter((x) => x.severity === 'warning')) log.warn(formatChecks([c]).replace(/^warning +/, ''));
  const fatal = checks.filter((c) => c.severity === 'fatal');
  if (fatal.length) throw new StartupError(`cannot start: ${fatal.length} problem${fatal.length > 1 ? 's' : ''} on this host (slipway doctor checks again)\n${formatChecks(fatal)}`);
  // Folders made above the data folder must stay traversable for sandboxed commands (the check above).
  fs.mkdirSync(path.dirname(config.dataDir), { recursive: true, mode: 0o755 });
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(config.dataDir, 0o711); // traversable to a workspace, not listable
}

export interface Host {
  sandbox: Sandbox;
  workRoot: string;
  spaces: SpaceNetworks;
  /** This host's unpacked slugs (root, loop devices and overlayfs only; else each workspace unpacks its slug). */
  slugTrees?: SlugTrees;
  /** Stop what the set-up started (after every sandbox of this host has stopped). */
  close(): Promise<void>;
}

/** Sandbox, limits, workspace disks and network object of this host; a killed predecessor's leftovers go first. */
/** `keep`: what dynos an earlier process of this agent left running use (adopted, not swept): their commands' markers and workspace ids. */
export async function setUpHost(config: Config, log: Logger, keep: { markers: ReadonlySet<string>; workspaces: ReadonlySet<string> } = { markers: new Set(), workspaces: new Set() }): Promise<Host> {
  const missingTools = resolveHostTools();
  if (missingTools.length) log.warn(`host programs not installed (features using them will fail with a clear error): ${missingTools.join(', ')}`);
  const workRoot = path.join(config.dataDir, 'workspaces');
  fs.mkdirSync(workRoot, { recursive: true, mode: 0o711 });
  fs.chmodSync(workRoot, 0o711);
  const hidden = [...new Set([config.dataDir, workRoot, config.slugTreesDir])];
  // Limits per dyno size: one cgroup per command under a parent of this server's own.
  const limiter = createLimiter({ dataDir: config.dataDir, ownUid: process.getuid?.() === 0 });
  // The doctor's check (checkHostAndDataDir, first) tried bubblewrap bare, and stops the start-up where it is not
  // usable unless SLIPWAY_SANDBOX=process: it is tried once more here, with the binds every command gets, and a
  // failure stops the start-up too.
  const sandbox = createSandbox({ mode: config.sandbox === 'process' ? 'process' : 'bwrap', userName: config.sandboxUser, hidden, graceMs: config.killGraceMs, limiter });
  // A filesystem per workspace where loop mounts work; a killed server's mounts and images go first.
  const disks = await openWorkspaceDisks({ dataDir: config.dataDir, workRoot, keep: keep.workspaces });
  // A killed server's cgroups go too.
  const swept = limiter.sweep(keep.markers);
  log.info(`${limiter.summary}; ${disks.summary}` + (swept ? `; removed ${swept} cgroups a previous run left behind` : '') + (disks.swept ? `; removed ${disks.swept} workspace filesystems a previous run left behind` : ''));
  const spaces = new SpaceNetworks({ dataDir: config.dataDir, log });
  // The folder's owner (a server, or an agent with its own) removes every unused tree at start and stop; a local agent
  // process shares its server's and leaves that to it.
  const ownsTrees = isUnder(config.slugTreesDir, config.dataDir);
  const slugTrees = SlugTrees.usable(disks.kind === 'loop') ? new SlugTrees(config.slugTreesDir, treeMaxMb(config.inputLimits.unpackedBytes)) : undefined;
  if (ownsTrees) await slugTrees?.prune({ all: true });
  return {
    sandbox, workRoot, spaces, slugTrees,
    async close() {
      await dropSharedCompiles(workRoot);
      if (ownsTrees) await slugTrees?.prune({ all: true });
      await disks.close();
      await spaces.shutdown();
      limiter.close();
    },
  };
}

/**
 * What a host's execution process left when it ended without stopping what it ran (dead, or killed
 * past its grace): the processes of its workspaces (and of `ids`), their workspace filesystems and
 * loop devices, cgroups and networks, removed as its next start would remove them (but for good).
 * The folders `kept` accepts hold data that outlives its processes (an app add-on's database): their
 * processes end, the folders stay. Returns how many processes were ended.
 */
export async function sweepHost(dataDir: string, ids: readonly string[], log: Logger, kept: (folder: string) => boolean = () => false): Promise<number> {
  const workRoot = path.join(dataDir, 'workspaces');
  const all = new Set([...ids, ...(fs.existsSync(workRoot) ? fs.readdirSync(workRoot) : [])]);
  const killed = killMarked((m) => all.has(m));
  // SIGKILL is not instant: a process still exiting keeps its filesystem busy and its group in use.
  for (const until = Date.now() + 5000; findMarkedProcesses((m) => all.has(m)).length && Date.now() < until;) await sleep(100);
  createLimiter({ dataDir, ownUid: process.getuid?.() === 0 }).close();
  await sweepWorkspaceDisks({ dataDir, workRoot });
  for (const id of all) if (!kept(id)) fs.rmSync(path.join(workRoot, id), { recursive: true, force: true });
  await new SpaceNetworks({ dataDir, log }).sweep();
  return killed;
}
