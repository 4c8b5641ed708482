// Publishing an app event to the app's webhooks: a delivery row and a durable job per webhook that
// includes the event's type, written together in one transaction before anything is sent (a restart
// still sends it). An event with a key (a flow edge's follow-up) is queued once per webhook and key.
import type { AppContext } from '../app-context.js';
import { enqueue } from '../jobs/queue.js';
import { newId } from '../core/ids.js';
import { insertDelivery, listAppWebhooks } from '../store/app-webhooks.js';
import { now } from '../store/db.js';
import type { EventType } from './event-types.js';

export const APP_WEBHOOK_JOB = 'app-webhook-delivery';
export interface AppWebhookJob { deliveryId: string }
/** Attempts of a `sync` webhook's delivery (back-off 2 s … 60 s: about 6 minutes); `notify` makes one. */
export const SYNC_ATTEMPTS = 10;

export type PublishPort = Pick<AppContext, 'store' | 'queue' | 'control'>;
/** `key`: set by a flow edge's follow-up (store/flow-edges' `edgeEventKey`): publishing it again queues nothing. */
export interface AppEvent { appId: string; include: EventType; resource: string; action: 'create' | 'update' | 'destroy'; data: Record<string, unknown>; actor?: string | null; key?: string }

/** Queue `event` for every webhook of its app that includes its type; returns the deliveries queued. */
export async function publishAppEvent(ctx: PublishPort, event: AppEvent): Promise<number> {
  const hooks = (await listAppWebhooks(ctx.store.db, event.appId)).filter((w) => (JSON.parse(w.include) as string[]).includes(event.include));
  if (!hooks.length) return 0;
  const eventId = newId();
  const at = now();
  // Heroku's envelope; `webhook_metadata` is added per attempt when it is sent.
  const body = JSON.stringify({
    id: eventId, action: event.action, actor: event.actor ? { email: event.actor.includes('@') ? event.actor : `${event.actor}@slipway.local`, id: null } : null, created_at: at, data: event.data,
    previous_data: {}, published_at: at, resource: event.resource, sequence: null, updated_at: at, version: 'application/vnd.heroku+json; version=3',
  });
  // A delivery and its job together: a key already delivered (or a crash between the two) never leaves one without the other.
  const queued = await ctx.store.db.transaction().execute(async (trx) => {
    let n = 0;
    for (const w of hooks) {
      const deliveryId = newId();
      if (!(await insertDelivery(trx, { id: deliveryId, webhook_id: w.id, app_id: event.appId, event_id: eventId, include: event.include, body, event_key: event.key ?? null }))) continue;
      await enqueue({ ...ctx.queue, db: trx }, APP_WEBHOOK_JOB, { deliveryId } satisfies AppWebhookJob, { key: `app-webhook:${deliveryId}`, maxAttempts: w.level === 'sync' ? SYNC_ATTEMPTS : 1 });
      n++;
    }
    return n;
  });
  ctx.control?.poke();
  return queued;
}
