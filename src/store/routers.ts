// Router credentials: a token of its own kind per router process. It reads the routing table,
// sends router log lines and in-flight counts, and nothing else (no job, no API call).
import type { Kysely } from 'kysely';
import { randomBytes } from 'node:crypto';
import type { Database, RoutersTable } from './schema.js';
import { hashToken, newId } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { now } from './db.js';

export type RouterRow = RoutersTable;
export const ROUTER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** Router tokens are told apart from agent (`slpa_`) and API (`slp_`) tokens at a glance. */
const routerToken = (): string => 'slpr_' + randomBytes(24).toString('base64url');

/** A new router and its token, returned only this once (stored as a hash). */
export async function createRouter(db: Kysely<Database>, name: string): Promise<{ router: RouterRow; token: string }> {
  if (!ROUTER_NAME.test(name)) throw fail('invalid_params', `A router's name is 1-63 lower-case letters, digits or dashes (got ${JSON.stringify(name)}).`);
  if (await db.selectFrom('routers').select('id').where('name', '=', name).executeTakeFirst()) throw fail('name_taken', `A router named ${name} exists already; choose another name, or revoke it first.`);
  const token = routerToken();
  const router: RouterRow = { id: newId(), name, token_hash: hashToken(token), created_at: now(), revoked_at: null, last_seen_at: null };
  await db.insertInto('routers').values(router).execute();
  return { router, token };
}

/** The embedded router's credential, minted anew for every process the server starts (the previous token stops working). */
export async function rotateRouterToken(db: Kysely<Database>, name: string): Promise<string> {
  const token = routerToken();
  await db.insertInto('routers').values({ id: newId(), name, token_hash: hashToken(token), created_at: now(), revoked_at: null, last_seen_at: null })
    .onConflict((oc) => oc.column('name').doUpdateSet({ token_hash: hashToken(token), revoked_at: null })).execute();
  return token;
}

/** The router a presented token belongs to, revoked ones included (the caller refuses them). */
export async function routerForToken(db: Kysely<Database>, token: string): Promise<RouterRow | undefined> {
  return db.selectFrom('routers').selectAll().where('token_hash', '=', hashToken(token)).executeTakeFirst();
}

export const listRouters = (db: Kysely<Database>): Promise<RouterRow[]> => db.selectFrom('routers').selectAll().orderBy('name').execute();

/** Revoke for good: the token stops working (within a second on a connection it kept open: router-routes.ts), and an open table stream is cut. */
export async function revokeRouter(db: Kysely<Database>, name: string): Promise<RouterRow> {
  const r = await db.selectFrom('routers').selectAll().where('name', '=', name).executeTakeFirst();
  if (!r) throw fail('router_not_found', `No router is named ${name}. \`slipway routers\` lists them.`);
  if (!r.revoked_at) await db.updateTable('routers').set({ revoked_at: now() }).where('id', '=', r.id).execute();
  return { ...r, revoked_at: r.revoked_at ?? now() };
}

export async function touchRouter(db: Kysely<Database>, id: string): Promise<void> {
  await db.updateTable('routers').set({ last_seen_at: now() }).where('id', '=', id).execute();
}
