// What a server's workspace filesystems left on the host: mounts under its data dir or its
// workspace folder, and loop devices backed by images in its data dir.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';

/** Mount points and loop devices that belong to the server of `dataDir` (empty when it left none). */
export function leftoverMounts(dataDir: string): string[] {
  const workRoots = [path.join(dataDir, 'workspaces'), path.join(os.tmpdir(), `slipway-workspaces-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`)];
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1] ?? '')
    .filter((m) => m === dataDir || m.startsWith(dataDir + '/') || workRoots.some((w) => m.startsWith(w + '/')));
  // By backing file: a kept dyno that restarted meanwhile has the same image on another loop device.
  const loops = execFileSync('losetup', ['--list', '--noheadings', '--output', 'BACK-FILE']).toString().split('\n').map((l) => l.trim()).filter((l) => l.includes(dataDir + '/'));
  return [...mounts, ...loops];
}

/** Wait up to `ms` for the server of `dataDir` to have no mounts but `kept` (its running dynos'); what else is left then. */
export async function mountsAfter(dataDir: string, kept: string[] = [], ms = 5000): Promise<string[]> {
  const until = Date.now() + ms;
  for (;;) {
    const left = leftoverMounts(dataDir).filter((m) => !kept.includes(m));
    if (!left.length || Date.now() > until) return left;
    await new Promise((r) => setTimeout(r, 100));
  }
}
