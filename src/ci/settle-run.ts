// When a run has ended: tear its add-ons down (once), whoever noticed the end first. What follows
// the end in the flow was queued with the status change (store/flow-edges).
import { getTestRun } from '../store/test-runs.js';
import { listAddons, markDeprovisioned, toProvisioned } from '../store/test-run-addons.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';
import type { AppContext } from '../app-context.js';

export async function settleRun(ctx: AppContext, runId: string): Promise<void> {
  const run = await getTestRun(ctx.store.db, runId);
  if (!isTerminal(run.status as TestStatus)) return;
  ctx.control?.poke();
  const live = (await listAddons(ctx.store.db, runId)).filter((a) => a.status === 'provisioned');
  if (live.length || ctx.addons.liveRuns().includes(runId)) {
    await ctx.addons.teardown(runId, live.map(toProvisioned));
    await markDeprovisioned(ctx.store.db, runId);
  }
  // Nothing of the run runs any more: its uids go back to the range.
  await ctx.tenants.freeRun(runId);
}
