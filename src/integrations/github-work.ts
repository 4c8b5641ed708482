// The work a webhook delivery asks for, done after the 202 answer: fetch the commit, then CI and
// deploys (push) or the review app (pull request). Deliveries are jobs in the durable queue, so one
// accepted just before a restart is still done after it; one at a time per pipeline, so fetches
// into its mirror do not race; every failure is written to the pipeline's event log.
import { getPipeline } from '../store/pipelines.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import { pushToPipeline } from '../pipelines/push.js';
import { closeReviewApp, deployReviewApp } from '../pipelines/review-apps.js';
import type { AppContext } from '../app-context.js';
import type { GithubWork } from './github-events.js';
import { commitSource } from './commit-source.js';
import { allowedCloneHosts, checkCloneUrl } from './clone-url.js';
import { enqueue, RetryLater } from '../jobs/queue.js';
import { FetchFailed } from './github-mirror.js';
import { KeyedSerial } from '../jobs/keyed-serial.js';
import { gitHostOf } from './git-hosts.js';

export const GITHUB_DELIVERY_JOB = 'github-delivery';
export interface GithubDeliveryJob { pipelineId: string; deliveryId: string; work: GithubWork }
/** Tries a delivery gets when fetching its commit fails (back-off from the queue: 2 s, 4 s). */
export const DELIVERY_ATTEMPTS = 3;

/** Queue a delivery's work (returns once it is stored). */
export async function enqueueDelivery(ctx: AppContext, job: GithubDeliveryJob): Promise<void> {
  await enqueue(ctx.queue, GITHUB_DELIVERY_JOB, job, { key: `github-delivery:${job.deliveryId}`, maxAttempts: DELIVERY_ATTEMPTS });
  ctx.control?.poke();
}

/** The runner's handler for delivery jobs. */
export class GithubDeliveries {
  private serial = new KeyedSerial();
  constructor(private ctx: AppContext) {}

  /** `attempt`: this try's number (1 for the first). */
  handle(job: GithubDeliveryJob, attempt: number): Promise<void> {
    return this.serial.run(job.pipelineId, () => this.run(job.pipelineId, job.deliveryId, job.work, attempt));
  }

  private async run(pipelineId: string, deliveryId: string, w: GithubWork, attempt: number): Promise<void> {
    const db = this.ctx.store.db;
    try {
      const pipeline = await getPipeline(db, pipelineId);
      if (w.kind === 'pull_request' && w.action === 'close') return await closeReviewApp(this.ctx, pipeline, w.number);
      // Checked again here: a delivery queued before the pipeline's host changed must not fetch elsewhere.
      const url = checkCloneUrl(w.cloneUrl, allowedCloneHosts(pipeline));
      if (!url.ok) throw new Error(`refused: ${url.message}; nothing was fetched`);
      const sourceBlobUrl = await commitSource(this.ctx, pipeline.id, w.cloneUrl, w.sha);
      if (w.kind === 'push') {
        const out = await pushToPipeline(this.ctx, pipeline, { branch: w.branch, sha: w.sha, message: w.message, sourceBlobUrl, via: `${gitHostOf(pipeline).title} push`, actor: w.actor });
        const did = [out.testRun && `test run #${out.testRun.number}`, ...out.deploys.map((d) => `deploy ${d.status}`)].filter(Boolean);
        await addPipelineEvent(db, pipeline.id, 'webhook', `${gitHostOf(pipeline).title} push of ${w.sha.slice(0, 7)} to ${w.branch} (delivery ${deliveryId}): ${did.length ? did.join(', ') : 'nothing to do'}${out.notes.length ? `; ${out.notes.join(' ')}` : ''}`);
      } else {
        await deployReviewApp(this.ctx, pipeline, { number: w.number, branch: w.branch, sha: w.sha }, sourceBlobUrl);
      }
    } catch (e) {
      const what = `Delivery ${deliveryId} (${w.kind} ${w.sha.slice(0, 7)})`;
      // A host that could not be reached may answer later: tried again with back-off, each failure logged.
      if (e instanceof FetchFailed && attempt < DELIVERY_ATTEMPTS) {
        await addPipelineEvent(db, pipelineId, 'webhook-retry', `${what}: fetching the commit failed (attempt ${attempt} of ${DELIVERY_ATTEMPTS}): ${e.message}; retrying`).catch(() => {});
        throw new RetryLater(e.message);
      }
      this.ctx.log.error(`webhook delivery ${deliveryId}: ${(e as Error).stack ?? e}`);
      const tries = e instanceof FetchFailed ? ` after ${attempt} attempts` : '';
      await addPipelineEvent(db, pipelineId, 'webhook-failed', `${what} failed${tries}: ${(e as Error).message}`).catch(() => {});
    }
  }
}
