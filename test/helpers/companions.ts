// The companion processes (router, local agent) a server started for a data folder: found by the
// identity socket in their environment, so a test can check none outlives a clean stop.
import fs from 'node:fs';
import path from 'node:path';

/** The companion processes (router, agent) running for `dataDir`, by kind. */
export function companions(dataDir: string): Record<string, number[]> {
  const found: Record<string, number[]> = { router: [], agent: [] };
  for (const pid of fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    let environ: string;
    let cmdline: string;
    try { environ = fs.readFileSync(`/proc/${pid}/environ`, 'latin1'); cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1'); } catch { continue; }
    if (!environ.split('\0').includes(`SLIPWAY_COMPANION_SOCKET=${path.join(dataDir, 'companions', 'router.sock')}`) && !environ.split('\0').includes(`SLIPWAY_COMPANION_SOCKET=${path.join(dataDir, 'companions', 'agent.sock')}`)) continue;
    const kind = cmdline.split('\0')[2];
    if (kind) (found[kind] ??= []).push(Number(pid));
  }
  return found;
}
