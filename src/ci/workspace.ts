// A test node's workspace: app source, buildpack cache, ENV_DIR, buildpacks, tmp — owned by the
// sandbox user, on a filesystem of its own where loop mounts work, removed afterwards whatever the outcome.
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import { runHost } from '../sandbox/host.js';
import { chownTree } from '../sandbox/tenant-sandbox.js';
import { unmountInside, workspaceDisks } from '../sandbox/workspace-disk.js';

export interface Workspace { root: string; app: string; cache: string; env: string; buildpacks: string; tmp: string }

/**
 * A fresh workspace `id` under `workRoot`. With loop mounts it is a filesystem of its own of
 * `diskMb` (the disk quota of the commands that use it), so they get ENOSPC at the quota.
 */
export async function createWorkspace(sandbox: Sandbox, workRoot: string, id: string, diskMb: number): Promise<Workspace> {
  const root = path.join(workRoot, id);
  await removeWorkspace(workRoot, id);
  await workspaceDisks(workRoot)?.attach(root, id, diskMb);
  const ws = { root, app: path.join(root, 'app'), cache: path.join(root, 'cache'), env: path.join(root, 'env'), buildpacks: path.join(root, 'buildpacks'), tmp: path.join(root, 'tmp') };
  for (const d of [root, ws.app, ws.cache, ws.env, ws.buildpacks, ws.tmp]) sandbox.ownedDir(d);
  return ws;
}

/** Remove a workspace: its filesystem unmounted (lazily when busy) and its image deleted first. */
export async function removeWorkspace(workRoot: string, id: string): Promise<void> {
  await unmountInside(path.join(workRoot, id)); // a build's cache overlay, left by a build that threw
  await workspaceDisks(workRoot)?.detach(path.join(workRoot, id), id);
  fs.rmSync(path.join(workRoot, id), { recursive: true, force: true });
}

/** Whether the filesystem holding the workspace has less than a megabyte left (its quota is used up). */
export function workspaceFull(ws: Workspace): boolean {
  try {
    const s = fs.statfsSync(ws.root);
    return s.bavail * s.bsize < 1024 * 1024;
  } catch { return false; }
}

/** ENV_DIR: one file per var, as the buildpack API specifies. */
export function writeEnvDir(sandbox: Sandbox, dir: string, vars: Record<string, string>): void {
  for (const [k, v] of Object.entries(vars)) {
    const f = path.join(dir, k);
    fs.writeFileSync(f, v, { mode: 0o600 });
    if (process.getuid?.() === 0) fs.chownSync(f, sandbox.user.uid, sandbox.user.gid);
  }
}

/**
 * Copy a folder's contents into a folder of the sandbox's tenant (modes kept), then give every
 * entry to that tenant: a cache saved by an earlier run belongs to that run's uid. Small trees
 * (buildpacks) are copied in-process; large ones (caches) go through `cp -a`, far faster for
 * thousands of files.
 */
export async function copyInto(sandbox: Sandbox, from: string, to: string, opts: { large?: boolean } = {}): Promise<void> {
  sandbox.ownedDir(to);
  if (opts.large) {
    const r = await runHost('cp', ['-a', '--', `${from}/.`, to]);
    if (r.exitCode !== 0) throw new Error(`copying ${from} failed: ${r.stderr.trim()}`);
  } else {
    await fs.promises.cp(from, to, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true, force: true });
  }
  await chownTree(to, sandbox.user);
}

/** A source tarball with a single top-level folder (as GitHub makes them) is unpacked from inside it. */
export function hoistSingleFolder(app: string): void {
  const entries = fs.readdirSync(app);
  if (entries.length !== 1) return;
  const only = path.join(app, entries[0]!);
  // lstat: a lone symbolic link to a folder elsewhere must not become the app folder root works in.
  if (!fs.lstatSync(only).isDirectory() || fs.existsSync(path.join(app, 'app.json')) || fs.existsSync(path.join(app, 'package.json'))) return;
  const tmp = app + '.hoist';
  fs.renameSync(only, tmp);
  fs.rmdirSync(app);
  fs.renameSync(tmp, app);
}
