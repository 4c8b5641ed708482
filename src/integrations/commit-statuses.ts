// Commit statuses back to the git host (GitHub's and Gitea's `POST /repos/{owner}/{repo}/statuses/{sha}`,
// GitLab's `POST /projects/:id/statuses/:sha`): pending when a run starts, its outcome when it ends. Reporting is
// best effort: a failure is logged on the pipeline and retried with back-off, never fails the run.
// Reports are jobs in the durable queue, so a retry still due survives a restart.
import { getPipeline } from '../store/pipelines.js';
import { enqueue, RetryLater } from '../jobs/queue.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { getTestRun, type TestRun } from '../store/test-runs.js';
import type { AppContext } from '../app-context.js';
import { serverBaseUrl } from './commit-source.js';
import { gitHostOf, type StatusState } from './git-hosts.js';

export const STATUS_CONTEXT = 'continuous-integration/slipway';
const ATTEMPTS = 5;

type State = StatusState;

/** Heroku CI's outcomes as commit states: a failed test is a failure, anything else that ended badly an error. */
export function statusOf(run: Pick<TestRun, 'status' | 'number' | 'message'>): { state: State; description: string } {
  switch (run.status) {
    case 'succeeded': return { state: 'success', description: `Test run #${run.number} succeeded` };
    case 'failed': return { state: 'failure', description: `Test run #${run.number} failed` };
    case 'cancelled': return { state: 'error', description: `Test run #${run.number} was cancelled` };
    case 'errored': return { state: 'error', description: `Test run #${run.number} errored${run.message ? `: ${run.message}` : ''}` };
    default: return { state: 'pending', description: `Test run #${run.number} is ${run.status}` };
  }
}

export const COMMIT_STATUS_JOB = 'commit-status';
export interface CommitStatusJob { pipelineId: string; runId: string; state: State; description: string }

/** On a run's start and end, queue a status report for its commit (when the pipeline reports statuses). */
export function registerCommitStatuses(ctx: AppContext): void {
  const report = async (run: TestRun) => {
    if (run.kind !== 'ci') return;
    const pipeline = await getPipeline(ctx.store.db, run.pipeline_id);
    if (!pipeline.repo || !pipeline.status_token) return;
    const job: CommitStatusJob = { pipelineId: pipeline.id, runId: run.id, ...statusOf(run) };
    await enqueue(ctx.queue, COMMIT_STATUS_JOB, job, { key: `commit-status:${run.id}:${job.state}`, maxAttempts: ATTEMPTS });
    ctx.control?.poke();
  };
  ctx.hooks.testRunStarted.push(report);
  ctx.hooks.testRunEnded.push(report);
}

/** The job: one POST; a failure is logged on the pipeline and retried (RetryLater) while attempts remain. */
export async function sendCommitStatus(ctx: AppContext, job: CommitStatusJob, attempt: number): Promise<void> {
  const db = ctx.store.db;
  const pipeline = await getPipeline(db, job.pipelineId).catch(() => undefined);
  const run = await getTestRun(db, job.runId).catch(() => undefined);
  if (!pipeline?.repo || !pipeline.status_token || !run) return;
  // A pending status sent after the run ended would overwrite its outcome: drop it.
  if (job.state === 'pending' && statusOf(run).state !== 'pending') return;
  const host = gitHostOf(pipeline);
  const base = (pipeline.status_api_url ?? host.defaultApi ?? '').replace(/\/$/, '');
  const req = host.statusRequest({
    base, repo: pipeline.repo, sha: run.commit_sha, token: pipeline.status_token, state: job.state, context: STATUS_CONTEXT,
    description: job.description.slice(0, 140), targetUrl: `${serverBaseUrl(ctx)}/pipelines/${encodeURIComponent(pipeline.name)}/tests/${run.number}`,
  });
  let problem: string;
  let hopeless = false;
  try {
    const res = await fetch(req.url, { method: 'POST', body: JSON.stringify(req.body), signal: AbortSignal.timeout(15_000), headers: req.headers });
    const text = await res.text().catch(() => '');
    if (res.ok) return;
    problem = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    // 4xx other than rate limits will not get better by retrying.
    hopeless = res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 403;
  } catch (e) {
    problem = (e as Error).message;
  }
  const last = hopeless || attempt >= ATTEMPTS;
  await addPipelineEvent(db, pipeline.id, 'status-failed', `Reporting ${job.state} for ${run.commit_sha.slice(0, 7)} (test run #${run.number}) to ${base} failed (attempt ${attempt} of ${ATTEMPTS}): ${problem}${last ? '; giving up' : '; retrying'}`).catch(() => {});
  if (!last) throw new RetryLater(problem);
}
