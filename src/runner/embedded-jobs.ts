// The embedded runner's handlers for executed jobs: run on this host, events straight to the recorders.
import type { AppContext } from '../app-context.js';
import type { JobHandler } from './runner.js';
import { RELEASE_JOB, type ReleaseJob } from '../releases/jobs.js';
import { EXECUTED_KINDS, executeJob, type ExecDeps } from './execute-job.js';
import { withConfig } from './job-config.js';
import { EventsNotRecorded, jobRecorder, orderedRecorder } from './job-records.js';

/**
 * One handler per executed kind; release phases of one app run one at a time, across replicas (a
 * lease in the store; a phase whose lease is lost is stopped).
 */
export function embeddedJobHandlers(ctx: AppContext, deps: ExecDeps): Record<string, JobHandler> {
  const handle: JobHandler = async (claimed, signal) => {
    const job = await withConfig(ctx.store.db, claimed);
    const rec = jobRecorder(ctx, job);
    const out = orderedRecorder(rec);
    const run = (held: AbortSignal) => executeJob(job, deps, out.emit, out.flush, held);
    try {
      if (job.kind === RELEASE_JOB) await ctx.locks.run(`release-phase:${(JSON.parse(job.payload) as ReleaseJob).appId}`, run, signal);
      else await run(signal);
    } catch (e) {
      // The job fails (the runner records why); what it ran ends failed too, never left running.
      if (e instanceof EventsNotRecorded) await rec.failed(`Slipway could not record this job's events (${e.message}); it was stopped rather than reported done.`).catch(() => {});
      throw e;
    }
    await rec.after();
  };
  return Object.fromEntries(EXECUTED_KINDS.map((k) => [k, handle]));
}
