// The host's file tree as a sandbox sees it, built entry by entry instead of one `--ro-bind / /`.
//
// A recursive bind of `/` copies every mount of the host, including other sandboxes' network
// namespaces (/run/netns/*) and workspace filesystems (under the data folder). bubblewrap then
// remounts each copy read-only; one that the host unmounts in between (a dyno that just stopped)
// fails the whole start ("Can't bind mount /oldroot/…: No such file or directory"), and a copy
// that stays holds the other tenant's filesystem alive. So: bind each top-level entry read-only,
// skip what the sandbox gets fresh anyway (/proc, /dev, /tmp, /run, /root), and walk down to each
// hidden folder (the data folder) binding only its siblings, so nothing under it is copied.
import fs from 'node:fs';
import path from 'node:path';

/** What the walk needs of the file system (a port, so the walk is unit-tested on a made-up tree). */
export interface TreeReader {
  list(dir: string): string[];
  /** 'dir' | 'link' (with its target) | 'other' (a file, a socket…); undefined when it vanished. */
  kind(file: string): { type: 'dir' } | { type: 'link'; target: string } | { type: 'other' } | undefined;
}

export const hostTree: TreeReader = {
  list: (dir) => { try { return fs.readdirSync(dir).sort(); } catch { return []; } },
  kind: (file) => {
    try {
      const st = fs.lstatSync(file);
      if (st.isSymbolicLink()) return { type: 'link', target: fs.readlinkSync(file) };
      return st.isDirectory() ? { type: 'dir' } : { type: 'other' };
    } catch { return undefined; }
  },
};

/** Top-level entries the sandbox gets anew (bwrap's --proc, --dev, tmpfs), never copied from the host. */
export const FRESH_TOP = new Set(['proc', 'dev', 'tmp', 'run', 'root', 'lost+found']);

/**
 * bwrap options that lay the host read-only under the sandbox's root, leaving out FRESH_TOP and
 * every `hidden` folder (which the caller covers with a tmpfs) along with anything mounted under it.
 */
export function rootBinds(hidden: string[], tree: TreeReader = hostTree): string[] {
  const cut = hidden.map((h) => path.resolve(h)).filter((h) => h !== '/');
  const args: string[] = [];
  const walk = (dir: string): void => {
    for (const name of tree.list(dir)) {
      const file = path.join(dir, name);
      if (dir === '/' && FRESH_TOP.has(name)) continue;
      if (cut.includes(file)) continue;
      const k = tree.kind(file);
      if (!k) continue;
      if (k.type === 'link') { args.push('--symlink', k.target, file); continue; }
      if (k.type === 'dir' && cut.some((h) => h.startsWith(file + '/'))) { args.push('--dir', file); walk(file); continue; }
      args.push('--ro-bind', file, file);
    }
  };
  walk('/');
  return args;
}
