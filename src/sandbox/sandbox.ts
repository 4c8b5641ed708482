// Run one command in isolation. Every buildpack, setup and test command goes through here.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { ISOLATION_FLAGS } from './bwrap.js';
import { rootBinds } from './root-binds.js';
import { launcher } from './launcher.js';
import { HOST_ENV, hostTool } from './host-tools.js';
import { killMarked, killTree, MARKER_VAR } from './process-tree.js';
import type { SandboxResult, EndReason } from './result.js';
import { resolveSandboxUser, type SandboxUser, type Tenant } from './user.js';
import type { ResourceLimits } from '../core/dyno-size.js';
import type { Limiter } from './cgroups.js';
import { watchDisk } from './disk-watch.js';
import { onQuotaFilesystem } from './workspace-disk.js';
import { adoptCommand, type AdoptSpec } from './adopted.js';
export type { AdoptSpec } from './adopted.js';

export type SandboxMode = 'bwrap' | 'process';

let commandSeq = 0;

export interface RunSpec {
  /** argv; use ['bash', '-c', script] for shell commands. */
  argv: string[];
  cwd: string;
  /** The whole environment of the command: nothing of the server's own leaks in. */
  env: Record<string, string>;
  /** Directories the command may write (bound read-write under bubblewrap). */
  writable: string[];
  /** Directories under a hidden path the command may read but not write. */
  readable?: string[];
  /**
   * The command's own temporary folder, kept across the steps of a job: mounted as /tmp under
   * bubblewrap (short paths: Unix sockets allow 108 characters), given as TMPDIR otherwise.
   */
  tmpDir?: string;
  /** Tags every process of the command so leftovers can be found (`SLIPWAY_SANDBOX_ID`). */
  marker: string;
  timeoutMs?: number;
  signal?: AbortSignal;
  onStdout?: (chunk: Buffer) => void;
  onStderr?: (chunk: Buffer) => void;
  /** The command's standard input (an attached one-off's keyboard); none: it reads end of file at once. */
  stdin?: Readable;
  /**
   * A network namespace (`ip netns add`) to run in: a dyno or CI node of a private space. Entered as
   * root with `ip netns exec` (which also binds /etc/netns/NS/resolv.conf), then dropped to the
   * tenant's uid with setpriv before bubblewrap starts.
   */
  netns?: string;
  /** The tenant's own uid/gid (an app's, a test run's); undefined: the configured sandbox user. */
  tenant?: Tenant;
  /** Memory, processes, CPU share and disk of the command (its dyno size); none when undefined. */
  limits?: ResourceLimits;
  /** Host files the command must not run or read (covered by an empty, non-executable file under bubblewrap). */
  masked?: string[];
  /**
   * The command outlives this process (a dyno outlives its agent process, as a container outlives
   * containerd): stdout and stderr go to `output` and bubblewrap writes its exit code to `status`
   * (fds this process opened on files of its own), not to pipes, and no --die-with-parent. Another
   * process adopts it with `adopt`. onStdout/onStderr are not called.
   */
  outlive?: { output: number; status: number };
}

/** A command that keeps running (an add-on server, later a dyno) until it exits or is stopped. */
export interface Started {
  readonly pid: number | undefined;
  /** The marker every process of the command carries (its job's, then `/N`): its cgroup's name too. */
  readonly marker: string;
  readonly result: Promise<SandboxResult>;
  /** SIGTERM the tree, SIGKILL after the grace period (the sandbox's, or `graceMs`); resolves when it has ended. */
  stop(graceMs?: number): Promise<SandboxResult>;
  /** Memory the command uses now, when its limits are enforced by a cgroup. */
  memoryBytes(): number | undefined;
  /** CPU time used so far (ms), when its cgroup accounts it. */
  cpuMs(): number | undefined;
}

export interface Sandbox {
  readonly mode: SandboxMode;
  readonly user: SandboxUser;
  /** Why bubblewrap is not used, when it is not. */
  readonly warning?: string;
  /** Run to completion (or timeout, or cancel). */
  run(spec: RunSpec): Promise<SandboxResult>;
  start(spec: RunSpec): Started;
  /** A command an earlier process started with `outlive` (see adopted.ts). */
  adopt(a: AdoptSpec): Started;
  /** Create a directory owned by the tenant (default: the sandbox user), mode 0700. */
  ownedDir(dir: string, tenant?: Tenant): void;
}

export interface SandboxOptions { mode: 'auto' | SandboxMode; userName: string; hidden: string[]; graceMs: number; limiter?: Limiter }

/**
 * Probe bubblewrap as the sandbox user with the flags every sandbox uses; the reason it cannot be
 * used, or undefined. The host's tree is laid entry by entry as in a real sandbox (root-binds.ts):
 * a recursive bind of `/` would copy every other sandbox's mounts and fail when one of them is
 * unmounted meanwhile (a dyno stopping on this host failed a server's start that way).
 */
function probeBwrap(user: SandboxUser, hidden: string[]): string | undefined {
  let bwrap: string;
  try { bwrap = hostTool('bwrap'); } catch (e) { return (e as Error).message.replace(/\.$/, ''); }
  const r = spawnSync(bwrap, [...rootBinds(hidden), '--proc', '/proc', '--dev', '/dev', ...ISOLATION_FLAGS, 'true'], {
    uid: user.uid, gid: user.gid, env: HOST_ENV, stdio: ['ignore', 'ignore', 'pipe'], timeout: 10_000,
  });
  if (r.error) return `bubblewrap could not start (${(r.error as NodeJS.ErrnoException).code}); install the Debian package "bubblewrap"`;
  if (r.status !== 0) return `bubblewrap cannot create namespaces here: ${r.stderr.toString().trim()}`;
  return undefined;
}

export function createSandbox(opts: SandboxOptions): Sandbox {
  const user = resolveSandboxUser(opts.userName);
  let mode: SandboxMode = opts.mode === 'process' ? 'process' : 'bwrap';
  let warning: string | undefined;
  if (opts.mode !== 'process') {
    const problem = probeBwrap(user, opts.hidden);
    if (problem && opts.mode === 'bwrap') throw new Error(`SLIPWAY_SANDBOX=bwrap but ${problem}.`);
    if (problem) { mode = 'process'; warning = `${problem}; commands run as plain process groups without namespace isolation.`; }
  }
  const isRoot = process.getuid?.() === 0;
  // Not root: everything runs as ourselves (no other uid is reachable).
  const idsOf = (tenant?: Tenant): Tenant => (isRoot ? tenant ?? user : user);

  const sandbox: Sandbox = {
    mode, user, warning,
    ownedDir(dir, tenant) {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const ids = idsOf(tenant);
      if (isRoot) fs.chownSync(dir, ids.uid, ids.gid);
    },
    run(spec) { return sandbox.start(spec).result; },
    adopt(a) { return adoptCommand(a, { limiter: opts.limiter, graceMs: opts.graceMs }); },
    start(spec) {
      const started = Date.now();
      const tmp: Record<string, string> = spec.tmpDir ? { TMPDIR: mode === 'bwrap' ? '/tmp' : spec.tmpDir } : {};
      // Every command gets its own marker under the job's, so sweeping after one never hits the next.
      const marker = `${spec.marker}/${++commandSeq}`;
      // Limits wrap the launch: join the command's cgroup as root, then drop to the sandbox user.
      let limitsError: string | undefined;
      const limits = (() => {
        try { return spec.limits && opts.limiter?.forCommand(marker, spec.limits); } catch (e) { limitsError = (e as Error).message; return undefined; }
      })();
      const env = { ...spec.env, ...tmp, [MARKER_VAR]: marker };
      let reason: EndReason | undefined;
      let pgid: number | undefined;
      let timer: NodeJS.Timeout | undefined;
      let exceeded: SandboxResult['limitExceeded'];
      let stopDiskWatch = () => {};
      const stopTree = (why: EndReason, graceMs = opts.graceMs) => {
        if (reason || pgid === undefined) return;
        reason = why;
        void killTree(pgid, marker, graceMs);
      };
      const onAbort = () => stopTree('cancelled');
      const result = new Promise<SandboxResult>((resolve) => {
        const end = (r: Omit<SandboxResult, 'durationMs' | 'timedOut' | 'isCanceled'>) => {
          clearTimeout(timer);
          stopDiskWatch();
          spec.signal?.removeEventListener('abort', onAbort);
          if (limits?.oomKilled()) exceeded ??= { resource: 'memory', limitMb: spec.limits!.memoryMb, usedMb: Math.round((limits.peakBytes() ?? 0) / 2 ** 20) || undefined };
          // An OOM kill that the command survived (a child died, it exited 0) is reported but does not fail it.
          const failed = r.reason === 'signalled' || (r.reason === 'exited' && r.exitCode !== 0) || r.reason === 'limit-exceeded';
          const cpuMs = limits?.cpuMs(); // read before release removes the group
          const final = { ...r, ...(cpuMs !== undefined ? { cpuMs } : {}), ...(exceeded ? { limitExceeded: exceeded, reason: failed ? 'limit-exceeded' as const : r.reason } : {}) };
          void (limits?.release() ?? Promise.resolve()).then(() =>
            resolve({ ...final, durationMs: Date.now() - started, timedOut: final.reason === 'timed-out', isCanceled: final.reason === 'cancelled' }));
        };
        let child: ChildProcess;
        // Fail closed: a command whose limits could not be set does not run without them.
        if (limitsError) return end({ exitCode: null, signal: null, reason: 'spawn-failed', error: `its resource limits could not be set: ${limitsError}` });
        try {
          // With limits, root's wrapper (join the cgroup, set rlimits, drop to the tenant) runs first, so the
          // launcher must not rely on the spawn's environment for the tenant's (see launcher.ts `wrapped`).
          const launch = launcher({ mode, argv: spec.argv, cwd: spec.cwd, hidden: opts.hidden, writable: spec.writable, readable: spec.readable ?? [], masked: spec.masked ?? [], tmpDir: spec.tmpDir, netns: spec.netns, env, marker, ids: idsOf(spec.tenant), wrapped: !!limits, outlive: !!spec.outlive });
          const out = spec.outlive?.output ?? 'pipe';
          const argv = limits ? limits.wrap([launch.cmd, ...launch.args], launch.asTenant && isRoot ? launch.ids : undefined) : [launch.cmd, ...launch.args];
          child = spawn(argv[0]!, argv.slice(1), {
            cwd: mode === 'bwrap' ? '/' : spec.cwd, env: launch.env, detached: true,
            stdio: [spec.stdin ? 'pipe' : 'ignore', out, out, ...(launch.fd3 ? ['pipe' as const] : []), ...(launch.moreFds ?? []).map(() => 'pipe' as const), ...(launch.statusFd !== undefined ? [spec.outlive!.status] : [])],
            ...(launch.asTenant && isRoot && !limits?.asRoot ? { uid: launch.ids.uid, gid: launch.ids.gid } : {}),
          });
          if (launch.fd3) {
            const fd3 = child.stdio[3] as Writable;
            fd3.on('error', () => { /* the launcher failed before reading: its exit reports it */ });
            fd3.end(launch.fd3);
          }
          (launch.moreFds ?? []).forEach((data, i) => {
            const fd = child.stdio[4 + i] as Writable;
            fd.on('error', () => { /* as fd 3 */ });
            fd.end(data);
          });
        } catch (e) {
          return end({ exitCode: null, signal: null, reason: 'spawn-failed', error: (e as Error).message });
        }
        pgid = child.pid;
        const writable = [...new Set([...spec.writable, ...(spec.tmpDir ? [spec.tmpDir] : [])])];
        // On a workspace filesystem of its own the kernel holds the quota (ENOSPC); elsewhere du checks it.
        if (spec.limits && !onQuotaFilesystem(writable)) {
          const limitMb = spec.limits.diskMb;
          stopDiskWatch = watchDisk(writable, limitMb, (usedMb) => {
            exceeded = { resource: 'disk', limitMb, usedMb };
            stopTree('limit-exceeded', 0);
          });
        }
        if (spec.timeoutMs !== undefined) timer = setTimeout(() => stopTree('timed-out'), Math.max(0, spec.timeoutMs));
        if (spec.signal?.aborted) onAbort(); else spec.signal?.addEventListener('abort', onAbort);
        if (spec.stdin) {
          child.stdin!.on('error', () => { /* the command stopped reading: what it was sent is dropped */ });
          spec.stdin.pipe(child.stdin!);
        }
        child.stdout?.on('data', (c: Buffer) => spec.onStdout?.(c));
        child.stderr?.on('data', (c: Buffer) => spec.onStderr?.(c));
        child.on('error', (e) => end({ exitCode: null, signal: null, reason: 'spawn-failed', error: e.message }));
        child.on('exit', (code, signal) => {
          // The main process is done: nothing it left behind may outlive it (as when a dyno stops).
          if (pgid !== undefined) void killTree(pgid, marker, 0);
          // Give the pipes a moment to drain, but never wait on a grandchild that kept them open. The
          // cut waits for one more turn of the event loop's I/O, so output already in the pipe is read
          // first even when the server was not scheduled for the whole moment (a build's slug stream
          // is checked to its last byte).
          const drained = setTimeout(() => setImmediate(() => { child.stdout?.destroy(); child.stderr?.destroy(); }), 2000);
          child.on('close', () => {
            clearTimeout(drained);
            // A process started with setsid just as the command ended can miss the sweep above: sweep again.
            setTimeout(() => killMarked((m) => m === marker, { exact: true }), 200).unref();
            end({ exitCode: code, signal, reason: reason ?? (signal ? 'signalled' : 'exited') });
          });
        });
      });
      return { get pid() { return pgid; }, marker, result, stop: (graceMs?: number) => { stopTree('cancelled', graceMs); return result; }, memoryBytes: () => limits?.memoryBytes(), cpuMs: () => limits?.cpuMs() };
    },
  };
  return sandbox;
}
