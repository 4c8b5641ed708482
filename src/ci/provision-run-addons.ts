// Lifecycle step 2: the run's add-ons, provisioned once before its nodes start; nodes share them.
import { enqueue } from '../jobs/queue.js';
import { applyNodeEvent, getTestRun, listTestNodes } from '../store/test-runs.js';
import { recordAddons } from '../store/test-run-addons.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';
import type { AddonRequest } from '../addons/addon-spec.js';
import type { AppContext } from '../app-context.js';
import { logKey } from './node-events.js';
import { settleRun } from './settle-run.js';
import { TEST_NODE_JOB } from './test-node-job.js';
import type { StoredTestNodeJob } from '../runner/job-config.js';

export interface RunAddonsJob { runId: string; addons: AddonRequest[]; nodes: StoredTestNodeJob[] }

export async function provisionRunAddons(ctx: AppContext, job: RunAddonsJob): Promise<void> {
  const db = ctx.store.db;
  const nodes = await listTestNodes(db, job.runId);
  const keys = nodes.map((n) => logKey(job.runId, n.idx, 'setup'));
  for (const n of nodes) await applyNodeEvent(db, n.id, { type: 'provision' });
  keys.forEach((k) => ctx.logs.ensureOpen(k));
  const say = (line: string) => keys.forEach((k) => ctx.logs.append(k, line));

  const result = await ctx.addons.provision(job.runId, job.addons, say, await ctx.tenants.forAddons('run', job.runId))
    .catch((e: Error) => ({ ok: false as const, message: `Provisioning add-ons failed: ${e.message}` }));
  if (!result.ok) {
    say(` !     ${result.message}\n`);
    keys.forEach((k) => ctx.logs.close(k));
    for (const n of nodes) await applyNodeEvent(db, n.id, { type: 'error' }, { errorId: 'addon_failed', message: result.message });
    return;
  }
  await recordAddons(db, job.runId, result.addons);
  if (isTerminal((await getTestRun(db, job.runId)).status as TestStatus)) {
    // Cancelled while the add-ons came up.
    keys.forEach((k) => ctx.logs.close(k));
    return settleRun(ctx, job.runId);
  }
  // The add-ons' URLs reach the nodes when they are claimed (runner/job-config), from the rows just recorded.
  for (const node of job.nodes) await enqueue(ctx.queue, TEST_NODE_JOB, node, { key: `test-node:${node.nodeId}` });
  ctx.runner?.poke();
}
