// Which server owns the networks of a tag: a pid file per tag in /run (gone at reboot, as the
// networks are). Networks whose owner is not running are leftovers any server may remove. An agent's
// dynos outlive it, and hold its tag too: `<tag>.holders` names the owner (first) and its dynos,
// and `<tag>.pid` (the one pid every version reads) names a dyno while there is one, so no server
// sweeps their namespaces between one agent process's death and its successor's start.
import fs from 'node:fs';

const DIR = '/run/slipway-spaces';
const file = (tag: string) => `${DIR}/${tag}.pid`;
const holders = (tag: string) => `${DIR}/${tag}.holders`;

const alive = (pid: number): boolean => {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === 'EPERM'; }
};

/** The pids in a tag's file (one a line). */
function pidsOf(f: string): number[] {
  try { return fs.readFileSync(f, 'utf8').split('\n').map(Number).filter((p) => p > 0); } catch { return []; }
}

/** This process owns the tag's networks from now on (the dynos holding it stay holders). */
export function claimTag(tag: string): void {
  try {
    fs.mkdirSync(DIR, { recursive: true, mode: 0o755 });
    const held = pidsOf(holders(tag)).slice(1).filter(alive);
    fs.writeFileSync(holders(tag), [process.pid, ...held].join('\n'));
    fs.writeFileSync(file(tag), String(held[0] ?? process.pid));
  } catch { /* without /run the networks are still swept by their own tag at the next start */ }
}

/** The tag, claimed by this process, is held by these processes too (its dynos), so it outlives this process while they run. */
export function holdTag(tag: string, pids: readonly number[]): void {
  try {
    if (pidsOf(holders(tag))[0] !== process.pid) return;
    fs.writeFileSync(holders(tag), [process.pid, ...pids].join('\n'));
    fs.writeFileSync(file(tag), String(pids[0] ?? process.pid));
  } catch { /* as claimTag */ }
}

export function releaseTag(tag: string): void {
  try {
    if (pidsOf(holders(tag))[0] === process.pid) { fs.rmSync(file(tag), { force: true }); fs.rmSync(holders(tag), { force: true }); }
  } catch { /* not claimed */ }
}

/** Tags seen in Slipway's namespace, link and table names whose owning server is not running. */
export function orphanTags(netns: string[], links: string[], tables: string[]): string[] {
  const seen = new Set(tables);
  for (const n of netns) { const m = /^slipway-([0-9a-f]{4})-/.exec(n); if (m) seen.add(m[1]!); }
  for (const l of links) { const m = /^sl[wvnx]([0-9a-f]{4})/.exec(l); if (m && !l.startsWith('slwprobe')) seen.add(m[1]!); }
  return [...seen].filter((tag) => ![...pidsOf(file(tag)), ...pidsOf(holders(tag))].some((pid) => pid !== process.pid && alive(pid)));
}
