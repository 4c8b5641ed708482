// Can "others" reach a path? Sandboxed commands run as uids with no passwd entry and no group of
// the owner, so what counts is the "others" bits of every directory on the way. Pure: the
// file-system facts come in through a stat function.
import path from 'node:path';

export interface PathStat { mode: number; isDirectory: boolean }
/** undefined when the path does not exist. */
export type StatFn = (p: string) => PathStat | undefined;

/** `dir` and each existing directory above it, from `/` down, that others may not enter (no o+x). */
export function closedToOthers(dir: string, stat: StatFn): string[] {
  const chain: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    chain.unshift(d);
    if (d === path.dirname(d)) break;
  }
  return chain.filter((d) => { const st = stat(d); return st !== undefined && (st.mode & 0o001) === 0; });
}

/** The deepest existing directory at or above `p` (what `mkdir -p p` would create under). */
export function nearestExisting(p: string, stat: StatFn): string {
  let d = path.resolve(p);
  while (stat(d) === undefined && d !== path.dirname(d)) d = path.dirname(d);
  return d;
}

/** `chmod o+x` for the given directories, as one command an operator can paste. */
export function openCommand(dirs: string[]): string {
  return `chmod o+x ${dirs.map((d) => (/^[\w./-]+$/.test(d) ? d : `'${d.replace(/'/g, `'\\''`)}'`)).join(' ')}`;
}
