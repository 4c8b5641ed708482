// Pure parts of resource limits: group names, the files each cgroup version is given, rlimit
// arguments and the memory figure that counts (the working set, as the kubelet measures it).
import { createHash } from 'node:crypto';
import type { ResourceLimits } from '../core/dyno-size.js';

const MB = 1024 * 1024;

/** The per-server parent group: two servers on one host (different data dirs) never share one. */
export function parentGroupName(dataDir: string): string {
  return `slipway-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}

/** One command's group, named after its marker (`dyno-…/3`) in characters a path may hold. */
export function commandGroupName(marker: string): string {
  return marker.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 200);
}

/** cgroup v1: per controller, the files to write. memsw (where swap accounting exists) stops swap escaping the limit. */
export function v1Settings(l: ResourceLimits, opts: { memsw: boolean }): Record<'memory' | 'pids' | 'cpu', [string, string][]> {
  const bytes = String(l.memoryMb * MB);
  return {
    memory: [['memory.limit_in_bytes', bytes], ...(opts.memsw ? [['memory.memsw.limit_in_bytes', bytes] as [string, string]] : [])],
    pids: [['pids.max', String(l.pids)]],
    cpu: [['cpu.shares', String(l.cpuShares)]],
  };
}

/** cgroup v1 shares (2–262144, default 1024) as a v2 weight (1–10000, default 100). */
export function cpuWeight(shares: number): number {
  return Math.min(10_000, Math.max(1, Math.round((shares * 100) / 1024)));
}

/** cgroup v2: the files to write in the command's group (swap off: the hard limit is memory only). */
export function v2Settings(l: ResourceLimits): [string, string][] {
  return [['memory.max', String(l.memoryMb * MB)], ['memory.swap.max', '0'], ['pids.max', String(l.pids)], ['cpu.weight', String(cpuWeight(l.cpuShares))]];
}

/**
 * `prlimit` options. Always the file size (no single file beyond the disk quota); without
 * cgroups also the address space and, when the sandbox has its own uid, the process count
 * (RLIMIT_NPROC counts every process of the uid, so it is useless when the server shares it).
 */
export function prlimitArgs(l: ResourceLimits, opts: { cgroups: boolean; ownUid: boolean }): string[] {
  const args = [`--fsize=${l.diskMb * MB}`];
  if (!opts.cgroups) {
    args.push(`--as=${l.memoryMb * MB}`);
    if (opts.ownUid) args.push(`--nproc=${l.pids}`);
  }
  return args;
}

/** Memory that counts against the quota: usage minus inactive page cache (cache the kernel can drop). */
export function workingSetBytes(usage: number, stat: string, inactiveKey: 'total_inactive_file' | 'inactive_file'): number {
  const m = new RegExp(`^${inactiveKey} (\\d+)$`, 'm').exec(stat);
  return Math.max(0, usage - (m ? Number(m[1]) : 0));
}

/** How many times the kernel's OOM killer struck, from memory.oom_control (v1) or memory.events (v2). */
export function oomKills(text: string): number {
  const m = /^oom_kill (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}
