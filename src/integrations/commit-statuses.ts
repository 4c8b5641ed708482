// Commit statuses back to the git host (GitHub's `POST /repos/{owner}/{repo}/statuses/{sha}`, which
// Gitea and Forgejo serve too): pending when a run starts, its outcome when it ends. Reporting is
// best effort: a failure is logged on the pipeline and retried with back-off, never fails the run.
import { getPipeline, type Pipeline } from '../store/pipelines.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { getTestRun, type TestRun } from '../store/test-runs.js';
import type { AppContext } from '../app-context.js';
import { serverBaseUrl } from './commit-source.js';

export const STATUS_CONTEXT = 'continuous-integration/slipway';
const DEFAULT_API = 'https://api.github.com';
const ATTEMPTS = 5;
const FIRST_RETRY_MS = 1000;

type State = 'pending' | 'success' | 'failure' | 'error';

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

export class CommitStatuses {
  // Statuses of one commit go out in order: a retried "pending" must not land after "success".
  private chains = new Map<string, Promise<void>>();
  constructor(private ctx: AppContext) {}

  register(): void {
    this.ctx.hooks.testRunStarted.push(async (run) => this.report(run));
    this.ctx.hooks.testRunEnded.push(async (run) => this.report(run));
  }

  /** Queue the run's current state for its commit; returns at once. */
  async report(run: TestRun): Promise<void> {
    if (run.kind !== 'ci') return;
    const pipeline = await getPipeline(this.ctx.store.db, run.pipeline_id);
    if (!pipeline.repo || !pipeline.status_token) return;
    const key = `${pipeline.id}:${run.commit_sha}`;
    const wanted = statusOf(run);
    const next = (this.chains.get(key) ?? Promise.resolve()).then(() => this.deliver(pipeline, run, wanted));
    this.chains.set(key, next);
    void next.finally(() => { if (this.chains.get(key) === next) this.chains.delete(key); });
  }

  private async deliver(pipeline: Pipeline, run: TestRun, s: { state: State; description: string }): Promise<void> {
    const db = this.ctx.store.db;
    const base = (pipeline.status_api_url ?? DEFAULT_API).replace(/\/$/, '');
    const url = `${base}/repos/${pipeline.repo}/statuses/${run.commit_sha}`;
    const body = JSON.stringify({
      state: s.state, context: STATUS_CONTEXT, description: s.description.slice(0, 140),
      target_url: `${serverBaseUrl(this.ctx)}/pipelines/${encodeURIComponent(pipeline.name)}/tests/${run.number}`,
    });
    for (let attempt = 1; ; attempt++) {
      // A pending status retried after the run ended would overwrite its outcome: drop it.
      if (s.state === 'pending') {
        const now = await getTestRun(db, run.id).catch(() => undefined);
        if (now && statusOf(now).state !== 'pending') return;
      }
      let problem: string;
      try {
        const res = await fetch(url, {
          method: 'POST', body, signal: AbortSignal.timeout(15_000),
          headers: { authorization: `Bearer ${pipeline.status_token}`, accept: 'application/vnd.github+json', 'content-type': 'application/json', 'user-agent': 'slipway' },
        });
        const text = await res.text().catch(() => '');
        if (res.ok) return;
        problem = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
        // 4xx other than rate limits will not get better by retrying.
        if (res.status >= 400 && res.status < 500 && res.status !== 429 && res.status !== 403) attempt = ATTEMPTS;
      } catch (e) {
        problem = (e as Error).message;
      }
      const last = attempt >= ATTEMPTS;
      await addPipelineEvent(db, pipeline.id, 'status-failed', `Reporting ${s.state} for ${run.commit_sha.slice(0, 7)} (test run #${run.number}) to ${base} failed (attempt ${attempt} of ${ATTEMPTS}): ${problem}${last ? '; giving up' : '; retrying'}`).catch(() => {});
      if (last) return;
      await new Promise((r) => setTimeout(r, FIRST_RETRY_MS * 2 ** (attempt - 1)));
    }
  }
}
