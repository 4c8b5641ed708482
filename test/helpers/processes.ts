// The after-test check that nothing of a test run was left running on the machine.
import { findMarkedProcesses } from '../../src/sandbox/process-tree.js';

/** Processes still carrying the sandbox marker of any of these node ids (waits briefly for exits). */
export async function leftoverProcesses(nodeIds: string[], waitMs = 3000): Promise<number[]> {
  const ids = new Set(nodeIds);
  const deadline = Date.now() + waitMs;
  for (;;) {
    const pids = findMarkedProcesses((m) => ids.has(m));
    if (!pids.length || Date.now() > deadline) return pids;
    await new Promise((r) => setTimeout(r, 100));
  }
}
