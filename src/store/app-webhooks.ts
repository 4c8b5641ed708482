// App webhooks (Heroku's `app-webhooks`) and their deliveries: one delivery row per event and
// webhook, updated by each attempt, listed by `webhooks:deliveries`.
import type { Kysely } from 'kysely';
import type { Database, AppWebhooksTable, AppWebhookDeliveriesTable } from './schema.js';
import { fail } from '../core/errors.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type AppWebhook = AppWebhooksTable;
export type AppWebhookDelivery = Omit<AppWebhookDeliveriesTable, 'num_attempts'> & { num_attempts: number };
export type DeliveryStatus = 'pending' | 'retrying' | 'succeeded' | 'failed';

export async function insertAppWebhook(db: Kysely<Database>, w: Omit<AppWebhook, 'id' | 'created_at' | 'updated_at'>): Promise<AppWebhook> {
  const row = { ...w, id: newId(), created_at: now(), updated_at: now() };
  await db.insertInto('app_webhooks').values(row).execute();
  return row;
}

export const listAppWebhooks = (db: Kysely<Database>, appId: string): Promise<AppWebhook[]> =>
  db.selectFrom('app_webhooks').selectAll().where('app_id', '=', appId).orderBy('created_at').execute();

export async function getAppWebhook(db: Kysely<Database>, appId: string, id: string): Promise<AppWebhook> {
  const w = await db.selectFrom('app_webhooks').selectAll().where('app_id', '=', appId).where('id', '=', id).executeTakeFirst();
  if (!w) throw fail('not_found', `This app has no webhook ${id}. List them with \`slipway webhooks\`.`);
  return w;
}

export async function deleteAppWebhook(db: Kysely<Database>, id: string): Promise<void> {
  await db.deleteFrom('app_webhook_deliveries').where('webhook_id', '=', id).execute();
  await db.deleteFrom('app_webhooks').where('id', '=', id).execute();
}

/** Record a delivery to send; false when this webhook has one under the same `event_key` already (nothing to send again). */
export async function insertDelivery(db: Kysely<Database>, d: Pick<AppWebhookDelivery, 'id' | 'webhook_id' | 'app_id' | 'event_id' | 'include' | 'body' | 'event_key'>): Promise<boolean> {
  const r = await db.insertInto('app_webhook_deliveries').values({ ...d, status: 'pending', last_code: null, last_error: null, next_attempt_at: null, created_at: now(), updated_at: now() })
    .onConflict((oc) => oc.columns(['webhook_id', 'event_key']).doNothing()).executeTakeFirst();
  return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
}

export async function getDelivery(db: Kysely<Database>, id: string): Promise<AppWebhookDelivery | undefined> {
  return db.selectFrom('app_webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
}

/** Record one attempt's outcome. */
export async function recordAttempt(db: Kysely<Database>, id: string, a: { status: DeliveryStatus; code: number | null; error: string | null; nextAttemptAt: string | null }): Promise<void> {
  await db.updateTable('app_webhook_deliveries')
    .set((eb) => ({ status: a.status, last_code: a.code, last_error: a.error, next_attempt_at: a.nextAttemptAt, num_attempts: eb('num_attempts', '+', 1), updated_at: now() }))
    .where('id', '=', id).execute();
}

/** An app's deliveries, newest first (`status` filters, as `webhooks:deliveries --status`). */
export function listDeliveries(db: Kysely<Database>, appId: string, opts: { status?: string; limit?: number } = {}): Promise<AppWebhookDelivery[]> {
  let q = db.selectFrom('app_webhook_deliveries').selectAll().where('app_id', '=', appId);
  if (opts.status) q = q.where('status', '=', opts.status);
  return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit ?? 1000).execute();
}
