// A host's unpacked slugs, shared by the release phase and the dynos of a release: each slug is
// unpacked once per host and tenant, by the tenant's uid inside its sandbox, onto a filesystem of
// its own (ext4 on loop) that is then remounted read-only; a release phase's or dyno's app folder
// is an overlay of that tree (lower, read-only) and a folder of its own workspace (upper, counted
// against its disk). Nothing is unpacked twice on a host (it was: the release phase, then each
// dyno), and no one can change a tree: the kernel refuses writes to a read-only mount.
//
// Trees are keyed by slug and uid: two apps (a promoted slug) never share one unless they run as
// the same uid. Root makes the image, the mount point and the overlay's folders, and never opens
// a path inside a tree; what the slug holds (links, `..`) is unpacked by tar as the tenant, where
// the tenant's own permissions and sandbox bound it, as every unpack was before.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { Workspace } from '../ci/workspace.js';
import { describeResult } from '../sandbox/result.js';
import { runHost } from '../sandbox/host.js';
import { attachImage, dropPreparedImages, unmount } from '../sandbox/workspace-disk.js';
import { mountsUnder } from '../sandbox/mount-table.js';
import { overlayPath, overlaySupported, shownOption } from '../releases/build-cache.js';

const MB = 1024 * 1024;
const SLUG_ID = /^[\w-]{1,100}$/;
const TREE = /^t-[0-9a-f]{16}$/;
/** An unused tree is kept this long after it was made (a rollback or a dyno restart finds it). */
const KEEP_UNUSED_MS = 30 * 60_000;

/** A tree being filled (see SlugTrees.open). */
export interface OpenTree { path: string; publish(slugId: string): Promise<void>; discard(): Promise<void> }

/** Where a workspace's app folder comes from. */
export interface SlugSource {
  id: string;
  /** A local file with the slug (fetched when this host has no tree of it). */
  file(): Promise<string>;
}

export class SlugTrees {
  private making = new Map<string, Promise<string>>();
  private readonly images: string;

  /** `maxMb`: the largest unpacked slug (SLIPWAY_MAX_UNPACKED_MB); each tree's image is sparse. */
  constructor(readonly root: string, private maxMb: number) {
    fs.mkdirSync(root, { recursive: true, mode: 0o711 });
    fs.chmodSync(root, 0o711); // the tenant's bwrap resolves its tree's path while unpacking; nothing here is listable
    this.images = path.join(root, '.images');
    fs.mkdirSync(this.images, { recursive: true, mode: 0o700 });
  }

  /**
   * Mount `ws.app` as an overlay of slug `slug`'s tree for `sandbox`'s tenant, unpacking the tree
   * first if this host has none. Call on a fresh workspace, before any of the tenant's commands runs in it.
   */
  async mountApp(sandbox: Sandbox, ws: Workspace, slug: SlugSource, marker: string): Promise<void> {
    let tree = await this.tree(sandbox, slug, marker);
    const rw = path.join(ws.root, '.app-rw');
    fs.mkdirSync(rw, { mode: 0o700 }); // root's: the tenant cannot reach the overlay's own folders
    const upper = path.join(rw, 'upper');
    sandbox.ownedDir(upper); // the merged root takes the upper folder's owner and mode
    fs.mkdirSync(path.join(rw, 'work'), { mode: 0o700 });
    const mount = (lower: string) => runHost('mount', ['-t', 'overlay', 'overlay', '-o', `nosuid,nodev,lowerdir=${overlayPath(lower)},upperdir=${overlayPath(upper)},workdir=${overlayPath(path.join(rw, 'work'))}`, '--', ws.app], { timeoutMs: 30_000 });
    let r = await mount(tree);
    if (r.exitCode !== 0) {
      // Another process on this host pruned the tree between reading its pointer and mounting it: unpack it again.
      this.forget(slug.id, sandbox.user.uid);
      tree = await this.tree(sandbox, slug, marker);
      r = await mount(tree);
    }
    if (r.exitCode !== 0) throw new Error(`mounting the app folder over the slug failed: ${r.stderr.trim()}`);
  }

  /** The path of the read-only tree of `slug` for the sandbox's uid: this host's, or unpacked now. */
  private tree(sandbox: Sandbox, slug: SlugSource, marker: string): Promise<string> {
    if (!SLUG_ID.test(slug.id)) return Promise.reject(new Error(`invalid slug id ${JSON.stringify(slug.id)}`));
    const key = `${slug.id}-${sandbox.user.uid}`;
    const found = this.published(key);
    if (found) return Promise.resolve(found);
    const pending = this.making.get(key) ?? this.unpack(sandbox, slug, marker).finally(() => this.making.delete(key));
    this.making.set(key, pending);
    return pending;
  }

  /** The tree the pointer `key` names, when it is one root made and it is mounted. */
  private published(key: string): string | undefined {
    try {
      const name = fs.readlinkSync(path.join(this.root, key));
      const tree = path.join(this.root, name);
      return TREE.test(name) && mountsUnder(tree).includes(tree) ? tree : undefined;
    } catch { return undefined; }
  }

  /** Whether this host has the tree of `slugId` for `uid` (a dyno then needs no slug file). */
  has(slugId: string, uid: number): boolean {
    return SLUG_ID.test(slugId) && this.published(`${slugId}-${uid}`) !== undefined;
  }

  private forget(slugId: string, uid: number): void {
    fs.rmSync(path.join(this.root, `${slugId}-${uid}`), { force: true });
  }

  /** A fresh image mounted on a fresh folder, the slug unpacked into it by the tenant, remounted read-only, then published. */
  private async unpack(sandbox: Sandbox, slug: SlugSource, marker: string): Promise<string> {
    const file = await slug.file();
    const tree = await this.open(sandbox);
    try {
      const r = await sandbox.run({ argv: ['tar', '-xzf', file, '-C', tree.path, '--no-same-owner'], cwd: tree.path, env: { PATH: '/usr/bin:/bin' }, writable: [tree.path], readable: [path.dirname(file)], marker, timeoutMs: 300_000 });
      if (r.exitCode !== 0) throw new Error(`unpacking the slug ${describeResult(r)}`);
      await tree.publish(slug.id);
    } catch (e) {
      await tree.discard();
      throw e;
    }
    return tree.path;
  }

  /**
   * An empty tree for `sandbox`'s tenant to fill (writable to it: pass `path` as a writable folder
   * of its command); `publish` makes it read-only and this host's tree of slug `slugId`.
   * A build fills one while it packs its slug, so its host never unpacks that slug.
   */
  async open(sandbox: Sandbox): Promise<OpenTree> {
    const name = `t-${randomBytes(8).toString('hex')}`;
    const tree = path.join(this.root, name);
    try {
      // ext4's own metadata on top of the largest unpacked slug.
      await attachImage(path.join(this.images, `${name}.img`), tree, Math.ceil(this.maxMb * 1.1) + 16);
      sandbox.ownedDir(tree); // mode 0700: another uid cannot read it even by its path
    } catch (e) {
      await this.remove(name).catch(() => {});
      throw e;
    }
    const uid = sandbox.user.uid;
    return {
      path: tree,
      publish: async (slugId) => {
        if (!SLUG_ID.test(slugId)) throw new Error(`invalid slug id ${JSON.stringify(slugId)}`);
        // The slug's own `.` may have set another mode: the tree's root (a mount root, no link) is its tenant's alone.
        fs.chmodSync(tree, 0o700);
        const ro = await runHost('mount', ['-o', 'remount,ro,nosuid,nodev', '--', tree], { timeoutMs: 30_000 });
        if (ro.exitCode !== 0) throw new Error(`making the unpacked slug read-only failed: ${ro.stderr.trim()}`);
        const tmp = path.join(this.root, `.p-${name}`);
        fs.symlinkSync(name, tmp);
        fs.renameSync(tmp, path.join(this.root, `${slugId}-${uid}`));
        // Trees of earlier releases nothing uses any more go (not waited for).
        void this.prune().catch(() => {});
      },
      discard: () => this.remove(name).catch(() => {}),
    };
  }

  private async remove(name: string): Promise<void> {
    const tree = path.join(this.root, name);
    await unmount(tree);
    fs.rmSync(path.join(this.images, `${name}.img`), { force: true });
    try { fs.rmdirSync(tree); } catch { /* gone */ }
  }

  /**
   * Remove the trees no overlay on this host uses and no pointer made in the last half hour names
   * (`all`: whatever their age, at start-up and shut-down). A tree being unpacked (its image
   * written in the last ten minutes, no pointer yet) stays, as does every tree in use.
   */
  async prune(opts: { all?: boolean } = {}): Promise<void> {
    if (opts.all) await dropPreparedImages(this.images);
    let names: string[];
    try { names = fs.readdirSync(this.root); } catch { return; }
    const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8');
    const used = (name: string) => mounts.includes(`lowerdir=${shownOption(overlayPath(path.join(this.root, name)))},`);
    const age = (p: string) => { try { return Date.now() - fs.lstatSync(p).mtimeMs; } catch { return Infinity; } };
    const kept = new Set<string>();
    for (const n of names) {
      if (TREE.test(n) || n === '.images') continue;
      const p = path.join(this.root, n);
      let target = '';
      try { target = fs.readlinkSync(p); } catch { /* not a pointer */ }
      if (TREE.test(target) && (used(target) || (!opts.all && age(p) < KEEP_UNUSED_MS))) { kept.add(target); continue; }
      fs.rmSync(p, { force: true });
    }
    for (const n of names.filter((x) => TREE.test(x) && !kept.has(x) && !used(x))) {
      if (!opts.all && age(path.join(this.images, `${n}.img`)) < 10 * 60_000) continue;
      await this.remove(n).catch(() => {});
    }
  }

  /** Whether trees can be used here: root, loop devices (the workspace disks) and overlayfs. */
  static usable(loopDisks: boolean): boolean {
    return loopDisks && overlaySupported();
  }
}

/** The slug's tree size limit in MB, for the images. */
export const treeMaxMb = (unpackedBytes: number): number => Math.ceil(unpackedBytes / MB);
