// bubblewrap options for one sandboxed command: host read-only, hidden Slipway data, own
// user/pid/ipc/uts namespaces with no capabilities and no nested user namespaces, only the job's
// own directories writable, and exactly the given environment.
import { rootBinds, hostTree, type TreeReader } from './root-binds.js';

/** `statusFd`: the command outlives its launcher (a dyno outlives its agent process): no `--die-with-parent`, and bwrap writes its exit code to that fd. */
export interface BwrapSpec { hidden: string[]; writable: string[]; readable: string[]; masked?: string[]; tmpDir?: string; cwd: string; env: Record<string, string>; identityFds?: boolean; statusFd?: number }

/**
 * The flags every sandbox gets; the start-up probe runs bubblewrap with exactly these. No
 * `--new-session`: the sandbox already starts in a session of its own with no terminal (spawned
 * detached, stdio on pipes), and the command must stay in bwrap's process group, which is what a
 * dyno's SIGTERM is sent to.
 */
export const ISOLATION_FLAGS = ['--unshare-user', '--disable-userns', '--cap-drop', 'ALL', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--hostname', 'slipway', '--die-with-parent'];

/**
 * Options only (the command follows `--` on bwrap's own command line). They carry the tenant's
 * environment, so they are handed to bwrap through `--args FD`, never as visible arguments.
 */
export function bwrapOptions(s: BwrapSpec, tree: TreeReader = hostTree): string[] {
  const args = ['--clearenv'];
  for (const [k, v] of Object.entries(s.env)) args.push('--setenv', k, v);
  args.push(
    // The host read-only, entry by entry, without the hidden folders or anything mounted under them.
    ...rootBinds(s.hidden, tree),
    '--dev', '/dev',
    '--proc', '/proc',
    // /tmp first: the data folder and workspaces may live under it and are mounted after.
    ...(s.tmpDir ? ['--bind', s.tmpDir, '/tmp'] : ['--tmpfs', '/tmp']),
    '--tmpfs', '/root',
    '--tmpfs', '/run',
  );
  for (const h of s.hidden) args.push('--tmpfs', h);
  for (const r of s.readable) args.push('--ro-bind', r, r);
  for (const w of s.writable) args.push('--bind', w, w);
  // A masked program is an empty character device there: not executable, so PATH lookups pass it by.
  for (const m of s.masked ?? []) args.push('--ro-bind', '/dev/null', m);
  // The tenant's own /etc/passwd and /etc/group entries, read by bwrap from fds 4 and 5.
  if (s.identityFds) args.push('--ro-bind-data', '4', '/etc/passwd', '--ro-bind-data', '5', '/etc/group');
  // The root itself is bwrap's tmpfs: read-only too (the binds on it keep their own modes).
  args.push('--remount-ro', '/');
  args.push(...s.statusFd === undefined ? ISOLATION_FLAGS : [...ISOLATION_FLAGS.filter((f) => f !== '--die-with-parent'), '--json-status-fd', String(s.statusFd)], '--chdir', s.cwd);
  return args;
}

/** bwrap's `--args` format: NUL-terminated strings (a NUL inside one would split it, so it is refused). */
export function encodeArgs(args: string[]): Buffer {
  for (const a of args) if (a.includes('\0')) throw new Error('a sandbox argument or environment value contains a NUL byte');
  return Buffer.from(args.map((a) => a + '\0').join(''));
}
