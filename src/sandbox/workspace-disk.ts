// A filesystem of its own per workspace: a sparse image under the data dir, ext4 on a loop device,
// mounted (nosuid, nodev) on the workspace root, so a tenant that writes past its quota gets ENOSPC
// from the kernel and nothing else fills — as a platform gives each pod its own volume. Without
// root or loop devices the quota falls back to the `du` watcher (disk-watch.ts).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { runHost } from './host.js';
import { hostTool } from './host-tools.js';
import { imagesToDetach, isUnder, mountsUnder } from './mount-table.js';

const MB = 1024 * 1024;
// No journal, no reserved blocks, lazy inode tables: the image is thrown away with its workspace,
// so a crash never needs a replay, and mkfs takes ~20 ms for any size.
const MKFS_ARGS = ['-q', '-F', '-m', '0', '-O', '^has_journal', '-E', 'lazy_itable_init=1,lazy_journal_init=1,nodiscard'];
const MOUNT_OPTS = 'loop,nosuid,nodev,noatime';

/** How the disk quota of workspaces is held on this server. */
export interface WorkspaceDisks {
  readonly kind: 'loop' | 'watch';
  /** For the start-up line: "disk by …". */
  readonly summary: string;
  /** Give the fresh, empty, root-owned folder `root` a filesystem of `mb` (loop only; else nothing). */
  attach(root: string, id: string, mb: number): Promise<void>;
  /** Unmount `root` (lazily when busy) and delete its image. */
  detach(root: string, id: string): Promise<void>;
  /** Unmount and delete what a killed server left behind; returns how many images. */
  sweep(): Promise<number>;
  close(): Promise<void>;
}

const byWorkRoot = new Map<string, WorkspaceDisks>();
const mounted = new Set<string>();

/** The disks of the server whose workspaces live in `workRoot`, if it opened them. */
export const workspaceDisks = (workRoot: string): WorkspaceDisks | undefined => byWorkRoot.get(workRoot);

/** True when every folder lies on a workspace filesystem of its own (the kernel holds the quota there). */
export const onQuotaFilesystem = (dirs: string[]): boolean => dirs.length > 0 && dirs.every((d) => [...mounted].some((m) => isUnder(d, m)));

const fail = (what: string, r: { stderr: string; error?: string }) => new Error(`${what} failed: ${(r.stderr || r.error || '').trim()}`);

/** Unmount `root` when something is mounted there (lazily when busy). */
export async function unmount(root: string): Promise<void> {
  if (!mountsUnder(root).includes(root)) return;
  const r = await runHost('umount', ['--', root], { timeoutMs: 30_000 });
  // Busy (a process still has a file open there): detach it now; the kernel frees it when the last user ends.
  if (r.exitCode !== 0) {
    const lazy = await runHost('umount', ['-l', '--', root], { timeoutMs: 30_000 });
    if (lazy.exitCode !== 0) throw fail(`unmounting ${root}`, lazy);
  }
}

/** Unmount what is mounted inside `root` (not `root` itself), innermost first. */
export async function unmountInside(root: string): Promise<void> {
  for (const m of mountsUnder(root).reverse()) if (m !== root) await unmount(m);
}

/** Detach every loop device whose image lies in `imagesDir` (mount's autoclear usually has), but those of the images named in `keep`. */
async function detachLoops(imagesDir: string, keep: ReadonlySet<string>): Promise<void> {
  const r = await runHost('losetup', ['--list', '--noheadings', '--raw', '--output', 'NAME,BACK-FILE']);
  for (const dev of imagesToDetach(r.stdout, imagesDir, keep)) await runHost('losetup', ['-d', dev]);
}

/** Probe once whether loop mounts work here (root, /dev/loop-control, the tools, a real trial). */
async function probe(imagesDir: string, workRoot: string): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return 'the server does not run as root';
  if (!fs.existsSync('/dev/loop-control')) return 'no loop devices (/dev/loop-control)';
  for (const t of ['losetup', 'mkfs.ext4', 'mount', 'umount']) {
    try { hostTool(t); } catch (e) { return (e as Error).message.replace(/\.$/, ''); }
  }
  const trial = path.join(workRoot, '.disk-probe');
  try {
    await attachImage(path.join(imagesDir, '.probe.img'), trial, 16, { prepared: false });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  } finally {
    await unmount(trial).catch(() => {});
    fs.rmSync(path.join(imagesDir, '.probe.img'), { force: true });
    fs.rmSync(trial, { recursive: true, force: true });
  }
}

/** A fresh sparse image of `mb` at `img`, ext4. */
async function makeImage(img: string, mb: number): Promise<void> {
  fs.rmSync(img, { force: true });
  const fd = fs.openSync(img, 'wx', 0o600);
  try { fs.ftruncateSync(fd, mb * MB); } finally { fs.closeSync(fd); }
  const mk = await runHost('mkfs.ext4', [...MKFS_ARGS, img], { timeoutMs: 60_000 });
  if (mk.exitCode !== 0) throw fail(`mkfs.ext4 of ${img}`, mk);
}

// Prepared images: one per folder and size, made (mkfs) after the previous one was taken, never
// mounted before, so a workspace's filesystem is a rename and a mount on the deploy's path. Made under
// a `.making-` name and renamed when done: another process sharing the folder takes only finished ones.
const READY = /^\.ready-(\d+)-[0-9a-f]{16}\.img$/;
const PREPARED = /^\.(ready|making)-/;
const preparing = new Map<string, Promise<void>>();

/** Move a prepared image of `mb` from `dir` to `img`; false when there is none. */
function takePrepared(dir: string, mb: number, img: string): boolean {
  let names: string[];
  try { names = fs.readdirSync(dir); } catch { return false; }
  for (const f of names) {
    if (Number(READY.exec(f)?.[1]) !== mb) continue;
    try { fs.renameSync(path.join(dir, f), img); return true; } catch { /* another process took it */ }
  }
  return false;
}

/** Prepare the next image of `mb` in `dir`, in the background, unless one is ready or being made. */
function prepareNext(dir: string, mb: number): void {
  const key = `${dir}\0${mb}`;
  if (preparing.has(key) || fs.readdirSync(dir).some((f) => Number(READY.exec(f)?.[1]) === mb)) return;
  const name = randomBytes(8).toString('hex');
  const making = path.join(dir, `.making-${name}.img`);
  preparing.set(key, makeImage(making, mb)
    .then(() => fs.renameSync(making, path.join(dir, `.ready-${mb}-${name}.img`)))
    .catch(() => fs.rmSync(making, { force: true }))
    .finally(() => preparing.delete(key)));
}

/** Wait for the images being prepared in `dir`, then delete its prepared images (at a server's stop). */
export async function dropPreparedImages(dir: string): Promise<void> {
  await Promise.all([...preparing].filter(([k]) => k.startsWith(`${dir}\0`)).map(([, p]) => p));
  let names: string[] = [];
  try { names = fs.readdirSync(dir); } catch { /* gone */ }
  for (const f of names) if (PREPARED.test(f)) fs.rmSync(path.join(dir, f), { force: true });
}

/**
 * A sparse image of `mb`, ext4, loop-mounted on a fresh root-owned folder `root` (mode 0700); the
 * image is a prepared one of its folder when there is one (`prepared: false`: never, nor made after).
 */
export async function attachImage(img: string, root: string, mb: number, opts: { prepared?: boolean } = {}): Promise<void> {
  const dir = path.dirname(img);
  if (opts.prepared === false) await makeImage(img, mb);
  else {
    if (!takePrepared(dir, mb, img)) await makeImage(img, mb);
    prepareNext(dir, mb);
  }
  fs.mkdirSync(root, { mode: 0o700 });
  // Root made it just now in a folder only root writes; still, never mount over a link.
  const st = fs.lstatSync(root);
  if (!st.isDirectory() || st.isSymbolicLink()) throw new Error(`${root} is not a plain folder; refusing to mount on it`);
  const m = await runHost('mount', ['-t', 'ext4', '-o', MOUNT_OPTS, '--', img, root], { timeoutMs: 30_000 });
  if (m.exitCode !== 0) throw fail(`mounting ${img} on ${root}`, m);
  fs.rmdirSync(path.join(root, 'lost+found'));
  fs.chmodSync(root, 0o700);
}

/** Unmount the workspace filesystems under `workRoot`, detach their loop devices and delete their images, but those of the workspaces in `keep`; returns how many images. */
export async function sweepWorkspaceDisks(opts: { dataDir: string; workRoot: string; keep?: ReadonlySet<string> }): Promise<number> {
  const keep = opts.keep ?? new Set<string>();
  const imagesDir = path.join(opts.dataDir, 'disks');
  const kept = [...keep].map((id) => path.join(opts.workRoot, id));
  for (const m of mountsUnder(opts.workRoot).reverse()) if (!kept.some((k) => isUnder(m, k))) await unmount(m).catch(() => {});
  if (!fs.existsSync(imagesDir)) return 0;
  await detachLoops(imagesDir, new Set([...keep].map((id) => `${id}.img`)));
  const images = fs.readdirSync(imagesDir).filter((f) => !keep.has(f.replace(/\.img$/, '')));
  for (const f of images) fs.rmSync(path.join(imagesDir, f), { force: true });
  // Prepared images (never mounted) are no workspace's.
  return images.filter((f) => f.endsWith('.img') && !PREPARED.test(f)).length;
}

/** Probe this host and open the workspace disks of a server (sweeping a killed one's leftovers first). */
/** `keep`: workspaces of dynos an earlier process left running (adopted): their filesystems stay mounted. */
export async function openWorkspaceDisks(opts: { dataDir: string; workRoot: string; keep?: ReadonlySet<string> }): Promise<WorkspaceDisks & { swept: number }> {
  const imagesDir = path.join(opts.dataDir, 'disks');
  const imageOf = (id: string) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(id)) throw new Error(`"${id}" is not a workspace id`);
    return path.join(imagesDir, `${id}.img`);
  };
  const sweep = (keep: ReadonlySet<string> = new Set()) => sweepWorkspaceDisks({ ...opts, keep });
  const swept = await sweep(opts.keep);
  fs.mkdirSync(imagesDir, { recursive: true, mode: 0o700 });
  const why = await probe(imagesDir, opts.workRoot);
  const detach = async (root: string, id: string) => {
    mounted.delete(root);
    await unmount(root);
    fs.rmSync(imageOf(id), { force: true });
  };
  const disks: WorkspaceDisks & { swept: number } = why
    ? { kind: 'watch', summary: `disk by workspace checks (no filesystem per workspace: ${why})`, swept, attach: async () => {}, detach: async () => {}, sweep: async () => 0, close: async () => {} }
    : {
      kind: 'loop', summary: 'disk by a filesystem per workspace (ext4 on loop)', swept, sweep,
      async attach(root, id, mb) {
        try { await attachImage(imageOf(id), root, mb); } catch (e) { await detach(root, id).catch(() => {}); throw e; }
        mounted.add(root);
      },
      detach,
      async close() {
        await dropPreparedImages(imagesDir);
        byWorkRoot.delete(opts.workRoot);
        for (const m of [...mounted].filter((r) => isUnder(r, opts.workRoot))) mounted.delete(m);
        await sweep();
      },
    };
  byWorkRoot.set(opts.workRoot, disks);
  return disks;
}
