// Finding and killing whole process trees: by process group, and by the marker every sandboxed
// process carries in its environment (which also finds processes that escaped their group).
import fs from 'node:fs';

export const MARKER_VAR = 'SLIPWAY_SANDBOX_ID';

const alive = (pgid: number): boolean => {
  try { process.kill(-pgid, 0); return true; } catch { return false; }
};

const signalGroup = (pgid: number, sig: NodeJS.Signals): void => {
  try { process.kill(-pgid, sig); } catch { /* already gone */ }
};

/**
 * Pids whose environment carries `SLIPWAY_SANDBOX_ID=<job marker>/<command number>` for a job marker
 * that `match` accepts (`exact` instead matches one command's full marker).
 */
export function findMarkedProcesses(match: (marker: string) => boolean, opts: { exact?: boolean } = {}): number[] {
  const pids: number[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent) || Number(ent) === process.pid) continue;
    let env: string;
    try { env = fs.readFileSync(`/proc/${ent}/environ`, 'latin1'); } catch { continue; }
    const i = env.indexOf(MARKER_VAR + '=');
    if (i < 0) continue;
    const end = env.indexOf('\0', i);
    const value = env.slice(i + MARKER_VAR.length + 1, end < 0 ? undefined : end);
    if (match(opts.exact ? value : value.split('/')[0]!)) pids.push(Number(ent));
  }
  return pids;
}

/** SIGKILL every process carrying a matching marker; returns how many were found. */
export function killMarked(match: (marker: string) => boolean, opts: { exact?: boolean } = {}): number {
  const pids = findMarkedProcesses(match, opts);
  for (const pid of pids) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  return pids.length;
}

/** SIGTERM the group, wait up to `graceMs`, then SIGKILL the group and anything else with the marker. */
export async function killTree(pgid: number, marker: string, graceMs: number): Promise<void> {
  signalGroup(pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  signalGroup(pgid, 'SIGKILL');
  killMarked((m) => m === marker, { exact: true });
}
