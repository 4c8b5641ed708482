// An app's log drains: where a copy of its log goes (syslog over TCP/TLS, or HTTPS), with the
// token (d.<uuid>) that names the drain in every frame, as logplex's drains have.
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { Database, LogDrainsTable } from './schema.js';
import { newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { now } from './db.js';

export type LogDrain = LogDrainsTable;

export async function addLogDrain(db: Kysely<Database>, appId: string, url: string): Promise<LogDrain> {
  if (await db.selectFrom('log_drains').select('id').where('app_id', '=', appId).where('url', '=', url).executeTakeFirst()) throw fail('name_taken', `The app already drains its log to ${url}.`);
  const row = { id: newId(), app_id: appId, url, token: `d.${randomUUID()}`, created_at: now(), updated_at: now() };
  await db.insertInto('log_drains').values(row).execute();
  return row;
}

export const listLogDrains = (db: Kysely<Database>, appId?: string): Promise<LogDrain[]> => {
  const q = db.selectFrom('log_drains').selectAll().orderBy('created_at');
  return (appId ? q.where('app_id', '=', appId) : q).execute();
};

/** Remove the drain named by its id, URL or token; not_found when the app has none such. */
export async function removeLogDrain(db: Kysely<Database>, appId: string, which: string): Promise<LogDrain> {
  const d = (await listLogDrains(db, appId)).find((x) => [x.id, x.url, x.token].includes(which));
  if (!d) throw fail('not_found', `No log drain ${which} on this app; list them with \`heroku drains -a APP\`.`);
  await db.deleteFrom('log_drains').where('id', '=', d.id).execute();
  return d;
}
