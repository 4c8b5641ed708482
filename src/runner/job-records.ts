// The control plane's side of executed jobs: each kind's events become rows through the existing
// recorders, and what follows a job (settling its test run) runs once it ended, the same whether
// the embedded runner or a remote agent ran it.
import type { AppContext } from '../app-context.js';
import { logKey, recordNodeEvent } from '../ci/node-events.js';
import { settleRun } from '../ci/settle-run.js';
import { applyNodeEvent } from '../store/test-runs.js';
import { TEST_NODE_JOB, type OutputStream, type RunnerEvent, type TestNodeJob } from '../ci/test-node-job.js';
import { buildLogKey, recordBuildEvent, recordReleaseEvent, releaseLogKey } from '../releases/deploy.js';
import { BUILD_JOB, RELEASE_JOB, type BuildEvent, type BuildJob, type ReleaseEvent, type ReleaseJob } from '../releases/jobs.js';
import type { JobEvent } from './execute-job.js';
import { crashPoint } from '../core/crash-point.js';
import { describeSteps } from '../ci/step-clock.js';
import { ONE_OFF_JOB, type OneOffEvent } from '../runtime/one-off-job.js';
import { oneOffRecorder, type StoredOneOffJob } from '../releases/agent-one-offs.js';

export interface JobRecorder {
  /** Turn one event into rows (call in the order the events were emitted). */
  record(e: JobEvent): Promise<void>;
  /** What follows the job once its events are all recorded. */
  after(): Promise<void>;
  /** An event could not be recorded: end the job's node, build or release failed with `message` (best effort). */
  failed(message: string): Promise<void>;
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
      record: (e) => {
        if (e.type === 'output') continueLog(ctx, logKey(p.runId, p.nodeIndex, (e as { stream: OutputStream }).stream));
        if (e.type === 'steps') ctx.log.info(`ci: run ${p.runId} node ${p.nodeIndex} of ${p.nodeTotal}: ${describeSteps(e.steps)}`);
        return recordNodeEvent(ctx.store.db, ctx.logs, p, e as RunnerEvent, () => crashPoint(ctx.config, 'test-run-ended'));
      },
      after: () => settleRun(ctx, p.runId),
      failed: async (message) => {
        await applyNodeEvent(ctx.store.db, p.nodeId, { type: 'error' }, { errorId: 'events_not_recorded', message });
        await settleRun(ctx, p.runId);
      },
    };
  }
  if (job.kind === BUILD_JOB) {
    const p = JSON.parse(job.payload) as BuildJob;
    return {
      record: async (e) => {
        if (e.type === 'steps') return ctx.log.info(`build: ${p.buildId} of ${p.appName}: ${describeSteps(e.steps)}`);
        if (e.type === 'output') continueLog(ctx, buildLogKey(p.buildId));
        return recordBuildEvent(ctx, p, e as BuildEvent);
      },
      after: async () => {}, failed: (message) => recordBuildEvent(ctx, p, { type: 'end', ok: false, message }),
    };
  }
  if (job.kind === RELEASE_JOB) {
    const p = JSON.parse(job.payload) as ReleaseJob;
    return {
      record: (e) => { if (e.type === 'output') continueLog(ctx, releaseLogKey(p.releaseId)); return recordReleaseEvent(ctx, p, e as ReleaseEvent); },
      after: async () => {}, failed: (message) => recordReleaseEvent(ctx, p, { type: 'end', ok: false, message }),
    };
  }
  if (job.kind === ONE_OFF_JOB) {
    const rec = oneOffRecorder(ctx, JSON.parse(job.payload) as StoredOneOffJob);
    return { record: (e) => rec.record(e as OneOffEvent), after: async () => {}, failed: rec.failed };
  }
  throw new Error(`no recorder for jobs of kind ${job.kind}`);
}

/** Thrown by `flush` once an event could not be recorded: the job must not be reported done. */
export class EventsNotRecorded extends Error {}

/**
 * Record events in order as they are emitted (emit is synchronous); `flush` waits for all so far.
 * After an event fails to record, the later ones are dropped (never recorded out of order) and
 * `flush` rejects with EventsNotRecorded.
 */
export function orderedRecorder(rec: JobRecorder): { emit(e: JobEvent): void; flush(): Promise<void> } {
  let chain = Promise.resolve();
  let failure: EventsNotRecorded | undefined;
  return {
    emit(e) {
      chain = chain.then(async () => {
        if (failure) return;
        await rec.record(e).catch((err: Error) => { failure = new EventsNotRecorded(`recording its ${e.type} event failed: ${err.message}`); });
      });
    },
    flush: () => chain.then(() => { if (failure) throw failure; }),
  };
}
