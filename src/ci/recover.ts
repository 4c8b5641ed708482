// Recovery of work whose runner is gone (crashed server or agent): nothing stays `running` forever.
import { finish, takeExpired } from '../jobs/queue.js';
import { applyNodeEvent, errorStrandedRun } from '../store/test-runs.js';
import { killMarked } from '../sandbox/process-tree.js';
import { removeWorkspace } from './workspace.js';
import { logKey } from './node-events.js';
import { TEST_NODE_JOB, TEST_RUN_ADDONS_JOB, type TestNodeJob } from './test-node-job.js';
import { listTestNodes } from '../store/test-runs.js';
import { settleRun } from './settle-run.js';
import type { RunAddonsJob } from './provision-run-addons.js';
import type { AppContext } from '../app-context.js';
import { failLostReleaseWork } from '../releases/recover-lost.js';
import { expireUnclaimedOneOffs, failLostOneOff } from '../releases/agent-one-offs.js';

export const RUNNER_LOST = 'The runner executing this node was lost (the server or runner stopped unexpectedly); its processes and workspace were cleaned up.';

/** Take over every expired lease: end the node errored "runner lost" and clean up what it left. */
export async function recoverLostWork(ctx: AppContext, owner: string, heldByPrefix?: string): Promise<number> {
  const jobs = await takeExpired(ctx.queue, owner, ctx.config.leaseMs, { heldByPrefix });
  for (const job of jobs) {
    if (job.kind === TEST_NODE_JOB) {
      const j = JSON.parse(job.payload) as TestNodeJob;
      killMarked((m) => m === j.nodeId);
      await removeWorkspace(ctx.workRoot, j.nodeId);
      for (const s of ['setup', 'test'] as const) {
        const key = logKey(j.runId, j.nodeIndex, s);
        if (ctx.logs.isLive(key)) ctx.logs.close(key);
      }
      await applyNodeEvent(ctx.store.db, j.nodeId, { type: 'error' }, { errorId: 'runner_lost', message: RUNNER_LOST });
      await settleRun(ctx, j.runId);
      ctx.log.warn(`test run ${j.runId} node ${j.nodeIndex}: runner lost, node errored and cleaned up`);
    }
    if (job.kind === TEST_RUN_ADDONS_JOB) {
      const j = JSON.parse(job.payload) as RunAddonsJob;
      for (const n of await listTestNodes(ctx.store.db, j.runId)) {
        await applyNodeEvent(ctx.store.db, n.id, { type: 'error' }, { errorId: 'runner_lost', message: 'The runner was lost while provisioning this run\'s add-ons; they were torn down.' });
      }
      await settleRun(ctx, j.runId);
    }
    // A build or release phase cannot be resumed: it ends failed, and is not run again.
    // So is a one-off (its process went with its agent).
    if (await failLostReleaseWork(ctx, job) || await failLostOneOff(ctx, job)) { await finish(ctx.queue, job, owner, { ok: false, error: 'runner lost' }); continue; }
    // Jobs that are safe to do again (enqueued with attempts to spare, e.g. webhook deliveries) go back in the queue.
    await finish(ctx.queue, job, owner, { ok: false, error: 'runner lost', retry: true });
  }
  await expireUnclaimedOneOffs(ctx);
  return jobs.length;
}

/**
 * Runs created but never given nodes (the server died between the two) end errored, once (a
 * conditional move). Ten minutes: a run's source is fetched and read between the two, which a live
 * replica may still be doing after a minute.
 */
export async function recoverStrandedRuns(ctx: AppContext, olderThanMs = 600_000): Promise<void> {
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  const stranded = await ctx.store.db.selectFrom('test_runs').select('id').where('status', '=', 'pending')
    .where('created_at', '<', cutoff).where((eb) => eb.not(eb.exists(eb.selectFrom('test_nodes').select('id').whereRef('test_nodes.test_run_id', '=', 'test_runs.id')))).execute();
  for (const r of stranded) {
    await errorStrandedRun(ctx.store.db, r.id, 'The server stopped before this run started.');
  }
}

