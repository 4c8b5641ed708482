// Failed sign-ins by key (see core/sign-in-limit.ts), kept for the rate limit's window.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { now } from './db.js';

/** Failure times of these keys since `sinceIso`, per key. */
export async function recentFailures(db: Kysely<Database>, keys: string[], sinceIso: string): Promise<Map<string, string[]>> {
  const rows = await db.selectFrom('sign_in_failures').select(['key', 'failed_at']).where('key', 'in', keys).where('failed_at', '>', sinceIso).execute();
  const by = new Map<string, string[]>(keys.map((k) => [k, []]));
  for (const r of rows) by.get(r.key)?.push(r.failed_at);
  return by;
}

/** Record one failure against each key, and forget failures older than `beforeIso`. */
export async function recordFailure(db: Kysely<Database>, keys: string[], beforeIso: string): Promise<void> {
  const at = now();
  await db.insertInto('sign_in_failures').values(keys.map((key) => ({ key, failed_at: at }))).execute();
  await db.deleteFrom('sign_in_failures').where('failed_at', '<', beforeIso).execute();
}
