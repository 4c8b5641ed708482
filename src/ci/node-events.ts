// Control plane: turn a runner's events for one test node into rows, logs and status changes.
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { applyNodeEvent, insertTestCases, markFlakyCases } from '../store/test-runs.js';
import type { LogBook } from '../logs/log-book.js';
import type { NodeEvent } from '../core/test-run-status.js';
import type { RunnerEvent, TestNodeJob, OutputStream } from './test-node-job.js';

export const logKey = (runId: string, nodeIndex: number, stream: OutputStream): string => `test-runs/${runId}/${nodeIndex}/${stream}`;

/** `onRunEnded` is called right after the change that ended the run is stored (before anything awaits). */
export async function recordNodeEvent(db: Kysely<Database>, logs: LogBook, job: TestNodeJob, e: RunnerEvent, onRunEnded?: () => void): Promise<void> {
  switch (e.type) {
    case 'status':
      if (e.event === 'provision') logs.ensureOpen(logKey(job.runId, job.nodeIndex, 'setup'));
      if (e.event === 'test') logs.open(logKey(job.runId, job.nodeIndex, 'test'));
      await applyNodeEvent(db, job.nodeId, { type: e.event });
      return;
    case 'output':
      logs.append(logKey(job.runId, job.nodeIndex, e.stream), e.data);
      return;
    case 'stream-end':
      logs.close(logKey(job.runId, job.nodeIndex, e.stream));
      await logs.archived(logKey(job.runId, job.nodeIndex, e.stream));
      return;
    case 'setup-done':
      await db.updateTable('test_nodes').set({ setup_done: 1 }).where('id', '=', job.nodeId).execute();
      return;
    case 'cases':
      await insertTestCases(db, job.runId, job.nodeId, e.cases);
      await markFlakyCases(db, job.runId);
      return;
    case 'steps':
      return; // the runner's timings: logged by the job recorder, not stored
    case 'end': {
      const change = { exitCode: e.exitCode ?? null, message: e.message ?? null, errorId: e.errorId ?? null };
      const event: NodeEvent = e.outcome === 'succeeded' || e.outcome === 'failed' ? { type: 'finish', outcome: e.outcome } : { type: e.outcome === 'cancelled' ? 'cancel' : 'error' };
      if (await applyNodeEvent(db, job.nodeId, event, change) === 'run-ended') onRunEnded?.();
      return;
    }
  }
}
