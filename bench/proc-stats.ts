// What a process holds and has spent, read from /proc (Linux): for benches that weigh the server,
// its companions and its dynos from outside, as an operator's `ps` or `top` would.
import fs from 'node:fs';

export interface Memory { rss: number; anon: number; file: number; pss: number }

const kb = (text: string, key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? NaN) / 1024;

/** Resident memory of a process in MB: all of it, its own (anonymous), the mapped files (shared with every node process), and its proportional share. */
export function memoryOf(pid: number): Memory {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  const rollup = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  return { rss: kb(status, 'VmRSS'), anon: kb(status, 'RssAnon'), file: kb(status, 'RssFile'), pss: kb(rollup, 'Pss') };
}

/** CPU seconds a process has used (user + system). */
export function cpuSecondsOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name); clock ticks of 1/100 s on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The CPU share (1 = one core) `pid` uses over `ms` of wall time. */
export async function cpuShareOver(pid: number, ms: number): Promise<number> {
  const before = cpuSecondsOf(pid);
  const start = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return (cpuSecondsOf(pid) - before) / ((Date.now() - start) / 1000);
}

/** Every descendant of `root` (children, their children…) with its environment, read once. */
export function descendants(root: number): Array<{ pid: number; env: string[] }> {
  const parent = new Map<number, number>();
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      parent.set(Number(p), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch { /* gone */ }
  }
  const under = (pid: number): boolean => { for (let p = parent.get(pid); p && p > 1; p = parent.get(p)) if (p === root) return true; return false; };
  const out: Array<{ pid: number; env: string[] }> = [];
  for (const pid of parent.keys()) {
    if (!under(pid)) continue;
    try { out.push({ pid, env: fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0') }); } catch { /* gone */ }
  }
  return out;
}

export const median = (xs: number[]): number => { const s = [...xs].sort((a, b) => a - b); const m = Math.floor(s.length / 2); return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2; };

/**
 * How a cost grows from n1 to n2 items: the exponent e in cost ∝ n^e (0 flat, 1 linear); under
 * 0.15 is called flat, under 0.6 sub-linear (log-like), else linear or worse.
 */
export function growth(n1: number, c1: number, n2: number, c2: number): string {
  const e = Math.log(Math.max(c2, 1e-9) / Math.max(c1, 1e-9)) / Math.log(n2 / n1);
  return `${e < 0.15 ? 'flat' : e < 0.6 ? 'sub-linear (log-like)' : 'linear or worse'} (n^${e.toFixed(2)})`;
}
