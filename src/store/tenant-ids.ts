// The uid each tenant runs as, allocated from the operator's range and kept in the store, so a
// restarted server gives an app's dynos the uid that owns its files.
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { fail } from '../core/errors.js';

export interface UidRange { first: number; last: number }

/** Whose uid: an app's or a test run's own processes, or the add-on servers of either. */
export type TenantOwner = `app:${string}` | `run:${string}` | `addons:app:${string}` | `addons:run:${string}`;


/** The uid `owner` holds, allocating the next free one of `range` the first time. */
export async function tenantUid(db: Kysely<Database>, owner: TenantOwner, range: UidRange): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const held = await db.selectFrom('tenant_ids').select('uid').where('owner', '=', owner).executeTakeFirst();
    if (held) return held.uid;
    const uid = nextFreeUid(await usedUids(db, range), range);
    if (uid === undefined) throw fail('tenant_uids_exhausted', `All ${range.last - range.first + 1} tenant uids (${range.first}-${range.last}) are in use; widen SLIPWAY_TENANT_UIDS.`);
    // Two allocations racing for the same uid: one insert wins, the other tries again.
    await db.insertInto('tenant_ids').values({ uid, owner, created_at: new Date().toISOString() }).onConflict((oc) => oc.doNothing()).execute();
  }
  throw new Error(`could not allocate a tenant uid for ${owner}: too much contention`);
}

/** Give `owner`'s uid back (the app was destroyed, the run ended). */
export async function freeTenantUid(db: Kysely<Database>, owner: TenantOwner): Promise<void> {
  await db.deleteFrom('tenant_ids').where('owner', '=', owner).execute();
}

async function usedUids(db: Kysely<Database>, range: UidRange): Promise<number[]> {
  const rows = await db.selectFrom('tenant_ids').select('uid').where('uid', '>=', range.first).where('uid', '<=', range.last).orderBy('uid').execute();
  return rows.map((r) => r.uid);
}

/**
 * The uid after the highest one in use (so a freed uid is not handed out again at once, while files
 * it owned may still be being removed), wrapping to the lowest gap when the top is reached.
 */
export function nextFreeUid(usedSorted: number[], range: UidRange): number | undefined {
  const top = usedSorted.length ? usedSorted[usedSorted.length - 1]! + 1 : range.first;
  if (top <= range.last) return Math.max(top, range.first);
  let expect = range.first;
  for (const u of usedSorted) {
    if (u > expect) return expect;
    expect = u + 1;
  }
  return expect <= range.last ? expect : undefined;
}
