// Which server owns the networks of a tag: a pid file per tag in /run (gone at reboot, as the
// networks are). Networks whose owner is not running are leftovers any server may remove.
import fs from 'node:fs';

const DIR = '/run/slipway-spaces';
const file = (tag: string) => `${DIR}/${tag}.pid`;

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** This process owns the tag's networks from now on. */
export function claimTag(tag: string): void {
  try {
    fs.mkdirSync(DIR, { recursive: true, mode: 0o755 });
    fs.writeFileSync(file(tag), String(process.pid));
  } catch { /* without /run the networks are still swept by their own tag at the next start */ }
}

export function releaseTag(tag: string): void {
  try {
    if (Number(fs.readFileSync(file(tag), 'utf8')) === process.pid) fs.rmSync(file(tag));
  } catch { /* not claimed */ }
}

/** Tags seen in Slipway's namespace, link and table names whose owning server is not running. */
export function orphanTags(netns: string[], links: string[], tables: string[]): string[] {
  const seen = new Set(tables);
  for (const n of netns) { const m = /^slipway-([0-9a-f]{4})-/.exec(n); if (m) seen.add(m[1]!); }
  for (const l of links) { const m = /^sl[wvn]([0-9a-f]{4})/.exec(l); if (m && !l.startsWith('slwprobe')) seen.add(m[1]!); }
  return [...seen].filter((tag) => {
    let pid = 0;
    try { pid = Number(fs.readFileSync(file(tag), 'utf8')); } catch { /* no owner recorded */ }
    return !(pid > 0 && pid !== process.pid && alive(pid));
  });
}
