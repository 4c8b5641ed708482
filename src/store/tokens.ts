import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { hashToken, newId, newToken } from '../core/ids.js';
import { now } from './db.js';

/** Store a token by its hash; returns the token only this once. */
export async function createToken(db: Kysely<Database>, name: string, token = newToken()): Promise<string> {
  await db.insertInto('tokens').values({ id: newId(), name, hash: hashToken(token), created_at: now(), last_used_at: null })
    .onConflict((oc) => oc.column('hash').doNothing()).execute();
  return token;
}

export async function countTokens(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

/** The token's row if the presented secret matches one, else undefined. */
export async function verifyToken(db: Kysely<Database>, token: string) {
  return db.selectFrom('tokens').select(['id', 'name']).where('hash', '=', hashToken(token)).executeTakeFirst();
}
