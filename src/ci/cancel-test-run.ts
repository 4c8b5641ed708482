// Cancel a run: queued nodes never start, running ones are stopped by their runner (tree killed,
// workspace removed); the nodes show `cancelled` at once.
import { requestCancel } from '../jobs/queue.js';
import { applyNodeEvent, listTestNodes, type TestRun } from '../store/test-runs.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';
import { settleRun } from './settle-run.js';

export async function cancelTestRun(ctx: AppContext, run: TestRun): Promise<void> {
  if (isTerminal(run.status as TestStatus)) throw fail('invalid_state', `Test run #${run.number} already ${run.status}; only a run that is still going can be cancelled.`);
  for (const node of await listTestNodes(ctx.store.db, run.id)) {
    if (isTerminal(node.status as TestStatus)) continue;
    await requestCancel(ctx.queue, `test-node:${node.id}`);
    ctx.runner?.abort(`test-node:${node.id}`);
    await applyNodeEvent(ctx.store.db, node.id, { type: 'cancel' }, { message: 'Cancelled.' });
  }
  await settleRun(ctx, run.id);
}
