// A command an earlier process started with `outlive` (a dyno whose agent process was replaced),
// taken over by this one as containerd's new shim client takes over a running container: it is no
// child of ours, so its end is seen by polling its pid (with the kernel's start time, so a pid
// reused by another process is never taken for it) and its exit code is read from the status file
// bubblewrap wrote (`--json-status-fd`). Stopping, limits and memory work as for a command started here.
import fs from 'node:fs';
import type { ResourceLimits } from '../core/dyno-size.js';
import type { Limiter } from './cgroups.js';
import { killMarked, killTree } from './process-tree.js';
import type { SandboxResult } from './result.js';
import type { Started } from './sandbox.js';

/** What an outliving command's starter recorded: its launcher's pid and start time, its full marker, its limits and bwrap's status file. */
export interface AdoptSpec { pid: number; startTime: string; marker: string; statusFile: string; limits?: ResourceLimits }

const POLL_MS = 250;

/** The kernel's start time of `pid` (clock ticks since boot, /proc/PID/stat field 22), or undefined when it does not run. */
export function procStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 3 (state) is fields[0]; a zombie has ended (its parent is gone: nobody we know reaps it).
    return fields[0] === 'Z' ? undefined : fields[19];
  } catch { return undefined; }
}

/** The exit code in bubblewrap's JSON status (`{"exit-code": N}`), or null when it never wrote one (bwrap itself was killed). */
export function exitCodeOf(status: string): number | null {
  for (const doc of status.split(/(?<=\})\s*(?=\{)/)) {
    try {
      const code = (JSON.parse(doc) as { 'exit-code'?: unknown })['exit-code'];
      if (typeof code === 'number') return code;
    } catch { /* a document cut short: the process ended while writing */ }
  }
  return null;
}

/** Take over a running outliving command; its result resolves when it ends (at once when it no longer runs). */
export function adoptCommand(a: AdoptSpec, o: { limiter?: Limiter; graceMs: number }): Started {
  const started = Date.now();
  const limits = a.limits && o.limiter?.forCommand(a.marker, a.limits, { existing: true });
  let reason: SandboxResult['reason'] | undefined;
  const result = new Promise<SandboxResult>((resolve) => {
    const poll = setInterval(() => {
      if (procStartTime(a.pid) === a.startTime) return;
      clearInterval(poll);
      // Its main process is done: nothing it left may outlive it (as for a command started here).
      killMarked((m) => m === a.marker, { exact: true });
      let status = '';
      try { status = fs.readFileSync(a.statusFile, 'utf8'); } catch { /* none: the exit code is unknown */ }
      const exitCode = exitCodeOf(status);
      const oom = limits?.oomKilled() ? { resource: 'memory' as const, limitMb: a.limits!.memoryMb, usedMb: Math.round((limits.peakBytes() ?? 0) / 2 ** 20) || undefined } : undefined;
      const ended = reason ?? (oom ? 'limit-exceeded' : exitCode === null ? 'signalled' : 'exited');
      void (limits?.release() ?? Promise.resolve()).then(() => resolve({
        exitCode, signal: null, reason: ended, durationMs: Date.now() - started, timedOut: false, isCanceled: ended === 'cancelled', ...(oom ? { limitExceeded: oom } : {}),
      }));
    }, POLL_MS);
  });
  return {
    pid: a.pid, marker: a.marker, result,
    stop(graceMs = o.graceMs) {
      if (!reason && procStartTime(a.pid) === a.startTime) { reason = 'cancelled'; void killTree(a.pid, a.marker, graceMs); }
      return result;
    },
    memoryBytes: () => limits?.memoryBytes(),
    cpuMs: () => limits?.cpuMs(),
  };
}
