// The token of the local agent process `slipway server` runs beside itself: minted anew for every
// process it starts (the previous one stops working), on the agent row `local`, so that dynos
// placed on the local agent go to that process.
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Database } from './schema.js';
import { hashToken, newId } from '../core/ids.js';
import { now } from './db.js';
import { freeSpaceSlice, LOCAL_LABEL, SPACES_LABEL } from './dyno-agents.js';

/** A fresh agent token for the agent row `name` (made if missing, un-revoked). */
export async function mintLocalAgentToken(db: Kysely<Database>, name: string): Promise<string> {
  const token = 'slpa_' + randomBytes(24).toString('base64url');
  // It runs this host's private spaces, beside the server (labels only the server gives: registration keeps them).
  const labels = JSON.stringify([SPACES_LABEL, LOCAL_LABEL]);
  const row = await db.selectFrom('agents').select(['id', 'space_slice']).where('name', '=', name).executeTakeFirst();
  // Its slice of every space's range is kept across restarts (its dynos keep their addresses).
  const space_slice = row?.space_slice ?? await freeSpaceSlice(db, row?.id);
  await db.insertInto('agents').values({ id: newId(), name, token_hash: hashToken(token), created_at: now(), revoked_at: null, last_seen_at: null, protocol_version: null, slots: null, memory_mb: null, address: null, hostname: null, labels, space_slice })
    .onConflict((oc) => oc.column('name').doUpdateSet({ token_hash: hashToken(token), revoked_at: null, labels, space_slice })).execute();
  return token;
}
