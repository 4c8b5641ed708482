// The companion processes (router, local agent) a server started for a data folder: found by the
// identity socket in their environment, so a test can check none outlives a clean stop.
import fs from 'node:fs';
import path from 'node:path';

/** The companion processes (router, agent) running for `dataDir`, by kind. */
export function companions(dataDir: string): Record<string, number[]> {
  const found: Record<string, number[]> = { router: [], agent: [] };
  const sockets = ['router', 'agent'].map((k) => `SLIPWAY_COMPANION_SOCKET=${path.join(dataDir, 'companions', `${k}.sock`)}`);
  const matched = new Map<number, { kind: string; ppid: number }>();
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let environ: string;
    let cmdline: string;
    let stat: string;
    try {
      environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1');
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1');
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch { continue; }
    if (!environ.split('\0').some((v) => sockets.includes(v))) continue;
    const kind = cmdline.split('\0')[2];
    // The parent pid follows the command name, which may hold spaces and parentheses.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (kind) matched.set(Number(pid), { kind, ppid });
  }
  for (const [pid, { kind, ppid }] of matched) {
    // A child a companion is forking (a command it runs, not yet exec'd) shows its parent's command
    // line and environment for a moment: it is not a second companion.
    if (matched.get(ppid)?.kind === kind) continue;
    (found[kind] ??= []).push(pid);
  }
  return found;
}
