// How large a commit's tree is, from the sizes git records for its objects (no file is read), so a
// pushed tree that is a bomb (a gigabyte of zeros packs into a few kilobytes) is refused before
// `git archive` spends minutes and gigabytes turning it into a tarball.
import { runHost } from '../sandbox/host.js';

export interface TreeSize { bytes: number; entries: number }

/** Sum and count `git ls-tree -r -t -l -z` records: "<mode> <type> <object> <size>\t<path>\0". */
export function parseLsTree(out: string): TreeSize {
  let bytes = 0;
  let entries = 0;
  for (const rec of out.split('\0')) {
    const tab = rec.indexOf('\t');
    if (tab < 0) continue;
    entries++;
    const size = Number(rec.slice(0, tab).trim().split(/\s+/)[3]);
    if (Number.isFinite(size)) bytes += size + 512; // each tar entry adds a header block
  }
  return { bytes, entries };
}

/** Why a tree of `size` is over `limits`, in the words a push shows; undefined when within them. */
export function treeOverLimit(what: string, size: TreeSize, limits: { unpackedBytes: number; entries: number }): string | undefined {
  const mb = (n: number) => `${(n / 1024 / 1024).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
  if (size.bytes > limits.unpackedBytes) return `${what} unpacks to ${mb(size.bytes)}; the limit is ${mb(limits.unpackedBytes)} (SLIPWAY_MAX_UNPACKED_MB). Remove large or generated files from the repository.`;
  if (size.entries > limits.entries) return `${what} has ${size.entries} files and folders; the limit is ${limits.entries} (SLIPWAY_MAX_SOURCE_ENTRIES).`;
  return undefined;
}

/** The size of `sha`'s tree in the repository at `cwd` (or the one git's environment names). */
export async function treeSize(sha: string, opts: { cwd?: string; env?: Record<string, string> }): Promise<TreeSize> {
  const r = await runHost('git', ['ls-tree', '-r', '-t', '-l', '-z', '--full-tree', sha], { ...opts, timeoutMs: 120_000 });
  if (r.exitCode !== 0) throw new Error(`git ls-tree of ${sha} failed: ${r.stderr.trim()}`);
  return parseLsTree(r.stdout);
}
