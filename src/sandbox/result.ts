/** Why a sandboxed command ended. */
export type EndReason = 'exited' | 'signalled' | 'timed-out' | 'cancelled' | 'spawn-failed' | 'limit-exceeded';

/** A resource limit the command hit (see src/sandbox/cgroups.ts). */
export interface LimitExceeded { resource: 'memory' | 'disk'; limitMb: number; usedMb?: number }

/** One shape for success and failure, as execa does. */
export interface SandboxResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  reason: EndReason;
  timedOut: boolean;
  isCanceled: boolean;
  durationMs: number;
  /** CPU time of the whole command tree (ms), when a cgroup accounted it. */
  cpuMs?: number;
  error?: string;
  /** Set when the kernel killed a process for memory, or the command was stopped for disk. */
  limitExceeded?: LimitExceeded;
}

/** A line a person can read: "exited with code 3", "timed out after 3.0 s", … */
export function describeResult(r: SandboxResult): string {
  switch (r.reason) {
    case 'exited': return `exited with code ${r.exitCode}`;
    case 'signalled': return `was killed by ${r.signal}`;
    case 'timed-out': return `timed out after ${(r.durationMs / 1000).toFixed(1)} s`;
    case 'cancelled': return 'was cancelled';
    case 'spawn-failed': return `could not start: ${r.error}`;
    case 'limit-exceeded': return r.limitExceeded?.resource === 'disk'
      ? `was stopped: disk quota exceeded (${r.limitExceeded.usedMb ?? '?'} MB written, the limit is ${r.limitExceeded.limitMb} MB)`
      : `was stopped: it exceeded its memory limit of ${r.limitExceeded?.limitMb ?? '?'} MB`;
  }
}
