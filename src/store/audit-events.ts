// The audit log's rows: appended by the API's audit hook, listed by `slipway audit` and the
// dashboard, deleted after SLIPWAY_AUDIT_RETENTION_DAYS.
import type { Kysely, Selectable } from 'kysely';
import type { AuditEventsTable, Database } from './schema.js';
import { newId } from '../core/ids.js';
import { now } from './db.js';

export type AuditEvent = Selectable<AuditEventsTable>;

/** Append one change. */
export async function recordAuditEvent(db: Kysely<Database>, e: Omit<AuditEvent, 'id' | 'at'>): Promise<void> {
  await db.insertInto('audit_events').values({ id: newId(), at: now(), ...e }).execute();
}

/** The newest events first, of one app when `appId` is given. */
export async function listAuditEvents(db: Kysely<Database>, opts: { appId?: string; limit: number }): Promise<AuditEvent[]> {
  let q = db.selectFrom('audit_events').selectAll().orderBy('at', 'desc').orderBy('id', 'desc').limit(opts.limit);
  if (opts.appId) q = q.where('app_id', '=', opts.appId);
  return q.execute();
}

/** Delete events older than `days`; returns how many went. */
export async function pruneAuditEvents(db: Kysely<Database>, days: number): Promise<number> {
  const before = new Date(Date.now() - days * 86_400_000).toISOString();
  const r = await db.deleteFrom('audit_events').where('at', '<', before).executeTakeFirst();
  return Number(r.numDeletedRows);
}
