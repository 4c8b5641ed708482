// The disk quota of a running command: its writable folders are measured with `du` (off the
// event loop, without following links) and the command is stopped once they hold more than the
// quota, as the kubelet evicts a pod over its ephemeral-storage limit. RLIMIT_FSIZE caps any
// single file; this caps the sum, to within what the command writes between two checks.
import { runHost } from './host.js';

const MB = 1024 * 1024;

/** Bytes allocated under `dirs` (hard links counted once), or undefined when du failed. */
export async function diskUsageBytes(dirs: string[]): Promise<number | undefined> {
  const r = await runHost('du', ['-s', '-x', '-c', '-B1', '--', ...dirs], { timeoutMs: 60_000 });
  const total = /^(\d+)\s+total$/m.exec(r.stdout);
  return total ? Number(total[1]) : undefined;
}

/**
 * Check every half second (or fifty times as long as the last check took: at most 2% of a CPU on big trees) until stopped;
 * `onExceeded` is called once with the usage in MB.
 */
export function watchDisk(dirs: string[], limitMb: number, onExceeded: (usedMb: number) => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const check = async () => {
    const started = Date.now();
    const used = await diskUsageBytes(dirs);
    if (stopped) return;
    if (used !== undefined && used > limitMb * MB) { stopped = true; return onExceeded(Math.round(used / MB)); }
    timer = setTimeout(() => void check(), Math.max(500, 50 * (Date.now() - started)));
  };
  timer = setTimeout(() => void check(), 500);
  return () => { stopped = true; clearTimeout(timer); };
}
