// API authorizations (tokens): stored only as keyed hashes — HMAC over the token's sha256 with a key
// of their own in settings (migration 024) — each owned by a user, with scopes and an optional expiry.
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { hashToken, newId, newToken } from '../core/ids.js';
import { parseScopes, type Scope } from '../core/access-policy.js';
import { now } from './db.js';

// The key never changes once made; reading it once per store is enough.
const keys = new WeakMap<Kysely<Database>, string>();

async function tokenKey(db: Kysely<Database>): Promise<string> {
  const known = keys.get(db);
  if (known) return known;
  const row = await db.selectFrom('settings').select('value').where('key', '=', 'token_hash_key').executeTakeFirstOrThrow();
  keys.set(db, row.value);
  return row.value;
}

const keyedHash = (key: string, token: string): string => createHmac('sha256', key).update(hashToken(token)).digest('hex');

export interface TokenRow { id: string; name: string; user_id: string | null; scopes: Scope[]; expires_at: string | null; created_at: string; last_used_at: string | null }

export interface NewToken { userId?: string | null; scopes?: Scope[]; expiresAt?: string | null }

/** Store a token by its keyed hash; returns the token only this once, and its row id. */
export async function issueToken(db: Kysely<Database>, name: string, opts: NewToken = {}, token = newToken()): Promise<{ token: string; id: string }> {
  const hash = keyedHash(await tokenKey(db), token);
  await db.insertInto('tokens').values({
    id: newId(), name, hash, created_at: now(), last_used_at: null,
    user_id: opts.userId ?? null, scopes: (opts.scopes ?? ['write']).join(','), expires_at: opts.expiresAt ?? null,
  }).onConflict((oc) => oc.column('hash').doNothing()).execute();
  const row = await db.selectFrom('tokens').select('id').where('hash', '=', hash).executeTakeFirstOrThrow();
  return { token, id: row.id };
}

/** Store a token by its hash; returns the token only this once. */
export async function createToken(db: Kysely<Database>, name: string, token = newToken(), opts: NewToken = {}): Promise<string> {
  return (await issueToken(db, name, opts, token)).token;
}

export async function countTokens(db: Kysely<Database>): Promise<number> {
  const r = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(r.n);
}

const COLUMNS = ['id', 'name', 'user_id', 'scopes', 'expires_at', 'created_at', 'last_used_at'] as const;
type Raw = Pick<Database['tokens'], (typeof COLUMNS)[number]>;
const shape = (r: Raw): TokenRow => ({ ...r, user_id: r.user_id ?? null, expires_at: r.expires_at ?? null, scopes: parseScopes(r.scopes ?? 'write') ?? [] });
const live = (r: Raw): boolean => !r.expires_at || Date.parse(r.expires_at) > Date.now();

/** A live (unexpired) token by its row id. */
export async function tokenById(db: Kysely<Database>, id: string): Promise<TokenRow | undefined> {
  const r = await db.selectFrom('tokens').select(COLUMNS).where('id', '=', id).executeTakeFirst();
  return r && live(r) ? shape(r) : undefined;
}

/** The token's row if the presented secret matches a live one, else undefined; notes its use (at most once a minute). */
export async function verifyToken(db: Kysely<Database>, token: string): Promise<TokenRow | undefined> {
  const r = await db.selectFrom('tokens').select(COLUMNS).where('hash', '=', keyedHash(await tokenKey(db), token)).executeTakeFirst();
  if (!r || !live(r)) return undefined;
  const t = now();
  const minuteAgo = new Date(Date.now() - 60_000).toISOString();
  await db.updateTable('tokens').set({ last_used_at: t }).where('id', '=', r.id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', minuteAgo)])).execute();
  return shape(r);
}

/** A user's authorizations, oldest first. */
export async function listTokens(db: Kysely<Database>, userId: string): Promise<TokenRow[]> {
  return (await db.selectFrom('tokens').select(COLUMNS).where('user_id', '=', userId).orderBy('created_at').execute()).map(shape);
}

/** Revoke (delete) a token; returns whether there was one. Refused at once: no cache stands between. */
export async function revokeToken(db: Kysely<Database>, id: string): Promise<boolean> {
  const r = await db.deleteFrom('tokens').where('id', '=', id).executeTakeFirst();
  return Number(r.numDeletedRows) > 0;
}

/** Every token named `name` except the one given: how a rotated SLIPWAY_ADMIN_TOKEN revokes its predecessor. */
export async function revokeOthersNamed(db: Kysely<Database>, name: string, keepToken: string, userId: string): Promise<number> {
  const keep = keyedHash(await tokenKey(db), keepToken);
  const r = await db.deleteFrom('tokens').where('name', '=', name).where('user_id', '=', userId).where('hash', '!=', keep).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** A new secret for an existing authorization (the old one stops working); undefined if there is none. */
export async function regenerateToken(db: Kysely<Database>, id: string): Promise<string | undefined> {
  const token = newToken();
  const r = await db.updateTable('tokens').set({ hash: keyedHash(await tokenKey(db), token) }).where('id', '=', id).executeTakeFirst();
  return Number(r.numUpdatedRows) > 0 ? token : undefined;
}

/** Change an authorization's description. */
export async function describeToken(db: Kysely<Database>, id: string, name: string): Promise<void> {
  await db.updateTable('tokens').set({ name }).where('id', '=', id).execute();
}
