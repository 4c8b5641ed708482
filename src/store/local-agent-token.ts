// The token of the local agent process `slipway server` runs beside itself: minted anew for every
// process it starts (the previous one stops working), on the agent row `local`, so that dynos
// placed on the local agent go to that process.
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Database } from './schema.js';
import { hashToken, newId } from '../core/ids.js';
import { now } from './db.js';
import { SPACES_LABEL } from './dyno-agents.js';

/** A fresh agent token for the agent row `name` (made if missing, un-revoked). */
export async function mintLocalAgentToken(db: Kysely<Database>, name: string): Promise<string> {
  const token = 'slpa_' + randomBytes(24).toString('base64url');
  // It runs this host's private spaces (a label only the server gives: registration keeps it).
  const labels = JSON.stringify([SPACES_LABEL]);
  await db.insertInto('agents').values({ id: newId(), name, token_hash: hashToken(token), created_at: now(), revoked_at: null, last_seen_at: null, protocol_version: null, slots: null, memory_mb: null, address: null, hostname: null, labels })
    .onConflict((oc) => oc.column('name').doUpdateSet({ token_hash: hashToken(token), revoked_at: null, labels })).execute();
  return token;
}
