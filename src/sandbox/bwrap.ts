// bubblewrap arguments for one sandboxed command: host read-only, hidden Slipway data, own
// pid/ipc/uts namespaces, only the job's own directories writable.
export interface BwrapSpec { hidden: string[]; writable: string[]; readable: string[]; tmpDir?: string; cwd: string; argv: string[] }

export function bwrapArgs(s: BwrapSpec): string[] {
  const args = [
    '--ro-bind', '/', '/',
    '--dev', '/dev',
    '--proc', '/proc',
    // /tmp first: the data folder and workspaces may live under it and are mounted after.
    ...(s.tmpDir ? ['--bind', s.tmpDir, '/tmp'] : ['--tmpfs', '/tmp']),
    '--tmpfs', '/root',
    '--tmpfs', '/run',
  ];
  for (const h of s.hidden) args.push('--tmpfs', h);
  for (const r of s.readable) args.push('--ro-bind', r, r);
  for (const w of s.writable) args.push('--bind', w, w);
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--hostname', 'slipway', '--die-with-parent', '--chdir', s.cwd, '--', ...s.argv);
  return args;
}
