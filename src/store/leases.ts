// Named leases in the store (one release phase per app, one deploy per app at a time): a row per
// name with its holder and expiry, taken and renewed by one conditional upsert, so replicas on one
// Postgres exclude each other and a holder that died loses its lease when it expires.
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import { dbTimeIn, dialectOf } from './db-clock.js';

/**
 * Take lease `name` for `holder` (or renew it) until `ttlMs` from now; true when it is `holder`'s.
 * It is free when nobody holds it, it expired, or its holder is `stale` (starts with `stale.prefix`
 * but not `stale.except`: an earlier instance of the same replica, which cannot be running any more).
 */
export async function acquireLease(db: Kysely<Database>, name: string, holder: string, ttlMs: number, stale?: { prefix: string; except: string }): Promise<boolean> {
  // Both times from the database's clock: replicas whose clocks disagree still agree on who holds what.
  const dialect = dialectOf(db as Kysely<unknown>);
  const at = dbTimeIn(dialect);
  const expires = dbTimeIn(dialect, ttlMs);
  const startsWith = (prefix: string) => sql<boolean>`substr(leases.holder, 1, ${prefix.length}) = ${prefix}`;
  const r = await db.insertInto('leases').values({ name, holder, expires_at: expires })
    .onConflict((oc) => oc.column('name').doUpdateSet({ holder, expires_at: expires }).where((eb) => eb.or([
      eb('leases.holder', '=', holder),
      eb('leases.expires_at', '<', at),
      ...(stale ? [eb.and([startsWith(stale.prefix), eb.not(startsWith(stale.except))])] : []),
    ])))
    .returning('name').executeTakeFirst();
  return !!r;
}

/** Let lease `name` go, if `holder` still has it. */
export async function releaseLease(db: Kysely<Database>, name: string, holder: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).where('holder', '=', holder).execute();
}
