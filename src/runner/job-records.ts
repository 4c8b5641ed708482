// The control plane's side of executed jobs: each kind's events become rows through the existing
// recorders, and what follows a job (settling its test run) runs once it ended, the same whether
// the embedded runner or a remote agent ran it.
import type { AppContext } from '../app-context.js';
import { logKey, recordNodeEvent } from '../ci/node-events.js';
import { settleRun } from '../ci/settle-run.js';
import { TEST_NODE_JOB, type OutputStream, type RunnerEvent, type TestNodeJob } from '../ci/test-node-job.js';
import { buildLogKey, recordBuildEvent, recordReleaseEvent, releaseLogKey } from '../releases/deploy.js';
import { BUILD_JOB, RELEASE_JOB, type BuildEvent, type BuildJob, type ReleaseEvent, type ReleaseJob } from '../releases/jobs.js';
import type { JobEvent } from './execute-job.js';

export interface JobRecorder {
  /** Turn one event into rows (call in the order the events were emitted). */
  record(e: JobEvent): Promise<void>;
  /** What follows the job once its events are all recorded. */
  after(): Promise<void>;
}

/**
 * A remote job outlives a server restart: its output continues the log written before it (a log
 * the new server process has not opened would otherwise start afresh).
 */
function continueLog(ctx: AppContext, key: string): void { ctx.logs.ensureOpen(key); }

/** The recorder of one job's events. */
export function jobRecorder(ctx: AppContext, job: { kind: string; payload: string }): JobRecorder {
  if (job.kind === TEST_NODE_JOB) {
    const p = JSON.parse(job.payload) as TestNodeJob;
    return {
      record: (e) => { if (e.type === 'output') continueLog(ctx, logKey(p.runId, p.nodeIndex, (e as { stream: OutputStream }).stream)); return recordNodeEvent(ctx.store.db, ctx.logs, p, e as RunnerEvent); },
      after: () => settleRun(ctx, p.runId),
    };
  }
  if (job.kind === BUILD_JOB) {
    const p = JSON.parse(job.payload) as BuildJob;
    return { record: (e) => { if (e.type === 'output') continueLog(ctx, buildLogKey(p.buildId)); return recordBuildEvent(ctx, p, e as BuildEvent); }, after: async () => {} };
  }
  if (job.kind === RELEASE_JOB) {
    const p = JSON.parse(job.payload) as ReleaseJob;
    return { record: (e) => { if (e.type === 'output') continueLog(ctx, releaseLogKey(p.releaseId)); return recordReleaseEvent(ctx, p, e as ReleaseEvent); }, after: async () => {} };
  }
  throw new Error(`no recorder for jobs of kind ${job.kind}`);
}

/** Record events in order as they are emitted (emit is synchronous); `flush` waits for all so far. */
export function orderedRecorder(rec: JobRecorder, onError: (e: JobEvent, err: Error) => void): { emit(e: JobEvent): void; flush(): Promise<void> } {
  let chain = Promise.resolve();
  return {
    emit(e) { chain = chain.then(() => rec.record(e)).catch((err) => onError(e, err as Error)); },
    flush: () => chain,
  };
}
