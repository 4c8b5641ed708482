// How a sandboxed command is started: the launcher (bwrap; in a space `ip netns exec` + setpriv) is
// found by absolute path and runs with a fixed environment of its own. The tenant's environment
// reaches only the command, through a pipe on fd 3 (never argv: /proc/PID/cmdline is world-readable).
import { bwrapOptions, encodeArgs } from './bwrap.js';
import { HOST_ENV, hostTool } from './host-tools.js';
import { MARKER_VAR } from './process-tree.js';
import { identityFilesFor } from './passwd.js';
import type { Tenant } from './user.js';

export interface Launch {
  cmd: string;
  args: string[];
  env: Record<string, string>;
  /** Written to the child's fd 3, then closed. */
  fd3?: Buffer;
  /** Written to fds 4, 5, …: the tenant's /etc/passwd and /etc/group for bwrap. */
  moreFds?: Buffer[];
  /** Spawn already as the tenant (otherwise root's `ip` starts and setpriv drops to it). */
  asTenant: boolean;
  /** The fd bwrap writes its JSON status to (the outliving command's exit code), when asked for. */
  statusFd?: number;
  ids: Tenant;
}

export interface LaunchSpec {
  mode: 'bwrap' | 'process';
  argv: string[];
  cwd: string;
  hidden: string[];
  writable: string[];
  readable: string[];
  masked?: string[];
  tmpDir?: string;
  netns?: string;
  /** The command's whole environment (marker included). */
  env: Record<string, string>;
  marker: string;
  ids: Tenant;
  /**
   * Started by root's limits wrapper (sh, prlimit, setpriv): the spawn's environment reaches those
   * host programs, so even a command started straight as the tenant gets its environment on fd 3.
   */
  wrapped?: boolean;
  /** The command outlives the process that starts it (a dyno): bwrap without --die-with-parent, its exit code on a status fd. */
  outlive?: boolean;
}

/** bwrap reads its options on fd 3 and the tenant's passwd and group on 4 and 5: the status goes to the next. */
const STATUS_FD = 6;

/**
 * Reads NUL-separated `K=V` from fd 3, exports them and runs the command: a space without bubblewrap.
 * It runs after setpriv, as the tenant, so neither root tool ever sees that environment.
 */
const ENV_FROM_FD = 'while IFS= read -r -d "" kv; do export -- "$kv"; done <&3; exec 3<&-; exec "$@"';

/** The program, arguments and environment that start one sandboxed command; throws when a host tool is missing. */
export function launcher(s: LaunchSpec): Launch {
  const own = { ...HOST_ENV, [MARKER_VAR]: s.marker };
  const inNetns = (argv: string[]) => ['netns', 'exec', s.netns!, hostTool('setpriv'), `--reuid=${s.ids.uid}`, `--regid=${s.ids.gid}`, '--clear-groups', '--', ...argv];
  if (s.mode === 'bwrap') {
    const bwrap = [hostTool('bwrap'), '--args', '3', '--', ...s.argv];
    const statusFd = s.outlive ? STATUS_FD : undefined;
    const fd3 = encodeArgs(bwrapOptions({ hidden: s.hidden, writable: s.writable, readable: s.readable, masked: s.masked, tmpDir: s.tmpDir, cwd: s.cwd, env: s.env, identityFds: true, statusFd }));
    const files = identityFilesFor(s.ids);
    const moreFds = [Buffer.from(files.passwd), Buffer.from(files.group)];
    return s.netns
      ? { cmd: hostTool('ip'), args: inNetns(bwrap), env: own, fd3, moreFds, asTenant: false, ids: s.ids, statusFd }
      : { cmd: bwrap[0]!, args: bwrap.slice(1), env: own, fd3, moreFds, asTenant: true, ids: s.ids, statusFd };
  }
  if (s.netns || s.wrapped) {
    const fd3 = encodeArgs(Object.entries(s.env).map(([k, v]) => `${k}=${v}`));
    const fromFd = [hostTool('bash'), '-c', ENV_FROM_FD, 'slipway-env', ...s.argv];
    return s.netns
      ? { cmd: hostTool('ip'), args: inNetns(fromFd), env: own, fd3, asTenant: false, ids: s.ids }
      : { cmd: fromFd[0]!, args: fromFd.slice(1), env: own, fd3, asTenant: true, ids: s.ids };
  }
  // No launcher at all: the command itself starts as the tenant, so its own PATH finds argv[0].
  return { cmd: s.argv[0]!, args: s.argv.slice(1), env: s.env, asTenant: true, ids: s.ids };
}
