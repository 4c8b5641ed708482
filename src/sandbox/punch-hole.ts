// Give back the disk space of bytes already read from a file another process goes on writing (a
// dyno's output): `fallocate --punch-hole` frees their blocks and leaves the file's size and every
// offset as they were, so nothing the writer adds meanwhile is lost, and a reader's recorded offset
// stays right across an agent's restart. Emptying the file instead (ftruncate) drops whatever the
// writer added between the last look at its size and the cut, and a writer without O_APPEND goes
// on at its old offset, leaving a hole of NUL bytes that was read back as lines.
import { runHost } from './host.js';

/** Free `file`'s blocks in `[from, to)` (they read as zeros after); throws with fallocate's reason when the filesystem cannot. */
export async function punchHole(file: string, from: number, to: number): Promise<void> {
  if (to <= from) return;
  const r = await runHost('fallocate', ['--punch-hole', '--offset', String(from), '--length', String(to - from), file], { timeoutMs: 10_000 });
  // Its reason only ("Operation not supported"): the message may reach an app's log, the agent's paths must not.
  if (r.exitCode !== 0) throw new Error((r.stderr.trim() || r.error || `fallocate ended with ${r.exitCode ?? r.signal}`).split(': ').at(-1)!);
}
