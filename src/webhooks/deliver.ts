// One attempt at sending an app webhook delivery: Heroku's envelope with this attempt's metadata,
// signed with the webhook's secret; the outcome recorded on the delivery row. A `sync` webhook's
// failure is retried with the queue's back-off (RetryLater) while attempts remain.
import { randomUUID } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import { RetryLater, retryBackoffMs } from '../jobs/queue.js';
import { getDelivery, recordAttempt } from '../store/app-webhooks.js';
import { signDelivery } from './event-types.js';
import { SYNC_ATTEMPTS, type AppWebhookJob } from './publish.js';

const TIMEOUT_MS = 10_000;

/** The job's handler; `attempt` counts from 1. */
export async function sendAppWebhook(ctx: Pick<AppContext, 'store'>, job: AppWebhookJob, attempt: number): Promise<void> {
  const db = ctx.store.db;
  const d = await getDelivery(db, job.deliveryId);
  const w = d && await db.selectFrom('app_webhooks').selectAll().where('id', '=', d.webhook_id).executeTakeFirst();
  if (!d || !w) return; // the webhook was removed meanwhile
  const body = JSON.stringify({ ...JSON.parse(d.body) as object, webhook_metadata: { attempt: { id: randomUUID() }, delivery: { id: d.id }, event: { id: d.event_id, include: d.include }, webhook: { id: w.id } } });
  const headers: Record<string, string> = {
    'content-type': 'application/json', 'user-agent': 'slipway-webhooks', 'heroku-webhook-hmac-sha256': signDelivery(w.secret, body),
    'heroku-webhook-id': d.id, 'heroku-webhook-sent-at': new Date().toISOString(),
  };
  if (w.authorization) headers['authorization'] = w.authorization;
  let code: number | null = null;
  let error: string;
  try {
    // Redirects are not followed: the receiver is the URL the user gave, nothing it points elsewhere.
    const res = await fetch(w.url, { method: 'POST', body, headers, redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    await res.arrayBuffer().catch(() => undefined);
    code = res.status;
    if (res.status >= 200 && res.status < 300) return await recordAttempt(db, d.id, { status: 'succeeded', code, error: null, nextAttemptAt: null });
    error = `HTTP ${res.status}`;
  } catch (e) {
    error = (e as Error).name === 'TimeoutError' ? `timed out after ${TIMEOUT_MS / 1000} s` : ((e as Error & { cause?: Error }).cause?.message ?? (e as Error).message);
  }
  const retry = w.level === 'sync' && attempt < SYNC_ATTEMPTS;
  await recordAttempt(db, d.id, { status: retry ? 'retrying' : 'failed', code, error, nextAttemptAt: retry ? new Date(Date.now() + retryBackoffMs(attempt)).toISOString() : null });
  if (retry) throw new RetryLater(`webhook delivery ${d.id} to ${w.url}: ${error}`);
}
