// An app's build cache (the buildpacks' CACHE_DIR), kept between builds as Heroku keeps it. Stored
// as versions under build-cache/APP/ (v-…, `current` a link root made to the one in use); a
// build's CACHE_DIR is an overlay of the current version (read-only lower) and a folder of the
// build's own (upper), so a cached build copies nothing in and, when it changes nothing, nothing
// out. A successful build that changed the cache saves the merged view as the next version; a
// failed one leaves the current version as it was. Without root or overlayfs the version is
// copied in and out instead. Root reads what the tenant wrote only after the build's commands
// ended, with lstat/readdir (never through a link) or `cp -a` (links copied as links).
import fs from 'node:fs';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { Workspace } from '../ci/workspace.js';
import { copyInto } from '../ci/workspace.js';
import { runHost } from '../sandbox/host.js';
import { chownTree } from '../sandbox/tenant-sandbox.js';
import { unmount } from '../sandbox/workspace-disk.js';
import { treeFingerprint } from '../ci/tree-fingerprint.js';
import { cacheChanged, type TreeIdentity, identityOf, sameIdentity } from './overlay-changes.js';

const VERSION = /^v-[0-9a-z-]+$/;
const CURRENT = 'current';
/** Versions this process has mounted or is mounting (a save must not delete them meanwhile). */
const inUse = new Map<string, number>();
let seq = 0;

export type SaveResult = 'saved' | 'unchanged' | 'not-a-folder' | 'moved' | 'too-large';

export interface BuildCache {
  /** Whether a saved cache is in CACHE_DIR. */
  readonly restored: boolean;
  /** How CACHE_DIR holds it: an overlay, or a copy (no root, no overlayfs). */
  readonly kind: 'overlay' | 'copy';
  /** Keep CACHE_DIR as the app's next cache (after a successful build; the build's commands have ended). */
  save(maxBytes: number): Promise<SaveResult>;
  /** Unmount CACHE_DIR; whatever the outcome, once the build's commands have ended. */
  close(): Promise<void>;
}

const isRealDir = (p: string): boolean => { try { return fs.lstatSync(p).isDirectory(); } catch { return false; } };

/** The version `current` names in `appDir`, when it is a link root made to a real version folder there. */
function currentVersion(appDir: string): string | undefined {
  try {
    const name = fs.readlinkSync(path.join(appDir, CURRENT));
    return VERSION.test(name) && isRealDir(path.join(appDir, name)) ? path.join(appDir, name) : undefined;
  } catch { return undefined; }
}

/**
 * The app's folder of versions and its current version. A cache saved before versions (the
 * folder itself was the cache) becomes the first version, moved, not copied.
 */
function openStore(cacheRoot: string, appId: string): { appDir: string; current: string | undefined } {
  fs.mkdirSync(cacheRoot, { recursive: true, mode: 0o700 });
  const appDir = path.join(cacheRoot, appId);
  let st: fs.Stats | undefined;
  try { st = fs.lstatSync(appDir); } catch { /* none yet */ }
  if (st && !st.isDirectory()) fs.rmSync(appDir, { force: true }); // a link saved before links were refused
  const current = st?.isDirectory() ? currentVersion(appDir) : undefined;
  if (st?.isDirectory() && current === undefined && !fs.existsSync(path.join(appDir, '.versions'))) {
    const legacy = `${appDir}.legacy-${process.pid}-${Date.now()}`;
    fs.renameSync(appDir, legacy);
    fs.mkdirSync(appDir, { mode: 0o700 });
    fs.writeFileSync(path.join(appDir, '.versions'), '');
    const v = newVersionName();
    fs.renameSync(legacy, path.join(appDir, v));
    pointAt(appDir, v);
    return { appDir, current: path.join(appDir, v) };
  }
  if (!st?.isDirectory()) {
    fs.mkdirSync(appDir, { mode: 0o700 });
    fs.writeFileSync(path.join(appDir, '.versions'), '');
  }
  return { appDir, current };
}

const newVersionName = (): string => `v-${Date.now().toString(36)}-${process.pid.toString(36)}-${(++seq).toString(36)}`;

/** Make `current` name version `v`, atomically. */
function pointAt(appDir: string, v: string): void {
  const tmp = path.join(appDir, `.current-${process.pid}-${++seq}`);
  fs.symlinkSync(v, tmp);
  fs.renameSync(tmp, path.join(appDir, CURRENT));
}

const use = (v: string) => inUse.set(v, (inUse.get(v) ?? 0) + 1);
const unuse = (v: string) => { const n = (inUse.get(v) ?? 1) - 1; if (n > 0) inUse.set(v, n); else inUse.delete(v); };

/** Delete the versions of `appDir` that are neither current nor in use (here, or by a mount of another process on this host). */
export function pruneVersions(appDir: string, opts: { keepCurrent?: boolean } = {}): void {
  let names: string[];
  try { names = fs.readdirSync(appDir); } catch { return; }
  const current = opts.keepCurrent === false ? undefined : currentVersion(appDir);
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  for (const name of names) {
    const v = path.join(appDir, name);
    if (name.startsWith('.current-')) { fs.rmSync(v, { force: true }); continue; } // a pointer a killed save left unrenamed
    if (!VERSION.test(name) || v === current || inUse.has(v) || mounts.includes(`lowerdir=${shownOption(overlayPath(v))},`) || mounts.includes(`lowerdir=${shownOption(overlayPath(v))}\n`)) continue;
    fs.rmSync(v, { recursive: true, force: true });
  }
}

/** Where the app's last slug's compressed node_modules is kept (slug-layer.ts): beside its cache's versions, root's alone. */
export const slugLayerDir = (cacheRoot: string, appId: string): string => path.join(cacheRoot, appId, 'slug-layer');

/** Drop an app's cache (`heroku builds:cache:purge`): the next build starts empty; versions a running build uses go once it ends. */
export function purgeBuildCache(cacheRoot: string, appId: string): void {
  const appDir = path.join(cacheRoot, appId);
  if (!isRealDir(appDir)) return fs.rmSync(appDir, { force: true });
  fs.rmSync(path.join(appDir, CURRENT), { force: true });
  fs.rmSync(slugLayerDir(cacheRoot, appId), { recursive: true, force: true });
  if (!fs.existsSync(path.join(appDir, '.versions'))) return fs.rmSync(appDir, { recursive: true, force: true }); // a cache saved before versions
  pruneVersions(appDir, { keepCurrent: false });
}

/** A path as overlayfs reads it in its mount options: `,` ends an option and `:` separates lower folders unless escaped. */
export const overlayPath = (p: string): string => p.replace(/[\\,:]/g, '\\$&');
/** A mount option's value as /proc/self/mountinfo shows it (the kernel's `seq_show_option` escapes these in octal). */
export const shownOption = (v: string): string => v.replace(/[\\,= \t\n]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);

/** Whether overlayfs can be mounted here (root, and the kernel has it). */
export function overlaySupported(): boolean {
  if (process.getuid?.() !== 0) return false;
  try { return /\toverlay$/m.test(fs.readFileSync('/proc/filesystems', 'utf8')); } catch { return false; }
}

/** Bytes under `dir` (du, apparent sizes, this filesystem only). */
async function sizeOf(dir: string): Promise<number> {
  const r = await runHost('du', ['-s', '-x', '-b', '--', dir], { timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`measuring the build cache failed: ${r.stderr.trim()}`);
  return Number(r.stdout.split('\t')[0]);
}

/**
 * Put the app's cache on `ws.cache`. Call before any of the tenant's commands runs in `ws`: the
 * overlay's folders are made and mounted while root alone has touched the workspace.
 */
export async function openBuildCache(sandbox: Sandbox, cacheRoot: string, appId: string, ws: Workspace, opts: { overlay?: boolean } = {}): Promise<BuildCache> {
  const { appDir, current } = openStore(cacheRoot, appId);
  const lower = current ?? path.join(appDir, '.empty');
  if (!current) fs.mkdirSync(lower, { recursive: true, mode: 0o700 }); // root's, and never written: an empty lower layer
  use(lower);
  try {
    // A version saved by another uid (the app's uid changed): the tenant must be able to change it through the overlay.
    if (current && fs.lstatSync(current).uid !== sandbox.user.uid) await chownTree(current, sandbox.user);
    if (opts.overlay !== false && overlaySupported()) {
      const mounted = await mountOverlay(sandbox, lower, ws);
      if (mounted) return overlayCache(sandbox, appDir, lower, current !== undefined, ws, mounted);
    }
    return await copiedCache(sandbox, appDir, lower, current, ws);
  } catch (e) {
    unuse(lower);
    throw e;
  }
}

/** The overlay's upper and work folders in a root-only folder of the workspace, and the mount; undefined when the mount fails. */
async function mountOverlay(sandbox: Sandbox, lower: string, ws: Workspace): Promise<TreeIdentity | undefined> {
  const rw = path.join(ws.root, '.cache-rw');
  fs.mkdirSync(rw, { mode: 0o700 }); // root's: the tenant cannot reach into it (it can only rename it, which save() checks)
  const upper = path.join(rw, 'upper');
  sandbox.ownedDir(upper); // the merged root takes the upper folder's owner and mode
  fs.mkdirSync(path.join(rw, 'work'), { mode: 0o700 });
  const r = await runHost('mount', ['-t', 'overlay', 'overlay', '-o', `nosuid,nodev,lowerdir=${overlayPath(lower)},upperdir=${overlayPath(upper)},workdir=${overlayPath(path.join(rw, 'work'))}`, '--', ws.cache], { timeoutMs: 30_000 });
  if (r.exitCode !== 0) {
    fs.rmSync(rw, { recursive: true, force: true });
    return undefined;
  }
  return identityOf(rw);
}

/** Save `from` (CACHE_DIR, overlay or copy) as the app's next version, if it is within `maxBytes`. */
async function saveVersion(appDir: string, from: string, maxBytes: number): Promise<SaveResult> {
  const v = newVersionName();
  const dest = path.join(appDir, v);
  use(dest);
  try {
    const r = await runHost('cp', ['-a', '--', `${from}/.`, dest], { timeoutMs: 600_000 });
    if (r.exitCode !== 0) throw new Error(`saving the build cache failed: ${r.stderr.trim()}`);
    if (await sizeOf(dest) > maxBytes) { fs.rmSync(dest, { recursive: true, force: true }); return 'too-large'; }
    pointAt(appDir, v);
  } catch (e) {
    fs.rmSync(dest, { recursive: true, force: true });
    throw e;
  } finally { unuse(dest); }
  pruneVersions(appDir);
  return 'saved';
}

function overlayCache(sandbox: Sandbox, appDir: string, lower: string, restored: boolean, ws: Workspace, rw: TreeIdentity): BuildCache {
  let open = true;
  return {
    restored, kind: 'overlay',
    async save(maxBytes) {
      const rwDir = path.join(ws.root, '.cache-rw');
      // The tenant may have renamed the root-only folder and put a link in its place: then nothing is read there.
      if (!sameIdentity(rwDir, rw)) return 'moved';
      if (!cacheChanged(path.join(rwDir, 'upper'), lower, ws.cache)) return 'unchanged';
      return saveVersion(appDir, ws.cache, maxBytes);
    },
    async close() {
      if (!open) return;
      open = false;
      try { await unmount(ws.cache); } finally {
        unuse(lower);
        pruneVersions(appDir);
      }
    },
  };
}

async function copiedCache(sandbox: Sandbox, appDir: string, lower: string, current: string | undefined, ws: Workspace): Promise<BuildCache> {
  if (current) await copyInto(sandbox, current, ws.cache, { large: true });
  unuse(lower);
  const fingerprint = current ? treeFingerprint(ws.cache) : undefined;
  return {
    restored: current !== undefined, kind: 'copy',
    async save(maxBytes) {
      if (!isRealDir(ws.cache)) return 'not-a-folder';
      if (fingerprint !== undefined && treeFingerprint(ws.cache) === fingerprint && currentVersion(appDir) !== undefined) return 'unchanged';
      return saveVersion(appDir, ws.cache, maxBytes);
    },
    async close() { pruneVersions(appDir); },
  };
}

/** The line a build's log shows for a save that did not write. */
export function cacheNotSavedLine(result: SaveResult, maxBytes: number): string {
  if (result === 'unchanged') return '-----> The cache is unchanged; not saved again\n';
  if (result === 'moved') return '-----> The build moved the folder that holds its cache changes ($CACHE_DIR/../.cache-rw); the cache was not saved\n';
  if (result === 'too-large') return `-----> The cache is larger than a build's disk (${Math.round(maxBytes / 1024 / 1024)} MB); it was not saved\n`;
  return result === 'not-a-folder' ? '-----> The cache folder ($CACHE_DIR) is no longer a folder (a symbolic link?); the cache was not saved\n' : '';
}
