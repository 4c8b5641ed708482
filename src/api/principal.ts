// Who a request acts as, once authenticated: the user, their email, the token (authorization) used
// and its scopes. Set by the API's and the dashboard's auth hooks; read by the access guard and by
// anything that records an actor (releases, audit).
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import type { TokenRow } from '../store/tokens.js';
import { userById } from '../store/users.js';
import type { Scope } from '../core/access-policy.js';

export interface Principal { userId: string | null; email: string | null; admin: boolean; tokenId: string; tokenName: string; scopes: readonly Scope[] }

declare module 'fastify' {
  interface FastifyRequest { principal?: Principal }
}

/** The principal a verified token acts as (its owner; no owner means no permissions but its own). */
export async function principalOf(db: Kysely<Database>, token: TokenRow): Promise<Principal> {
  const user = token.user_id ? await userById(db, token.user_id) : undefined;
  return { userId: user?.id ?? null, email: user?.email ?? null, admin: user?.admin ?? false, tokenId: token.id, tokenName: token.name, scopes: token.scopes };
}

/** Record the principal on the request (and the older `actor`: token id and name). */
export function setPrincipal(req: FastifyRequest, p: Principal): void {
  req.principal = p;
  req.actor = { id: p.tokenId, name: p.tokenName };
}

/** The authenticated principal of a request; throws if a route forgot to authenticate (a bug). */
export function principal(req: FastifyRequest): Principal {
  if (!req.principal) throw new Error(`no principal on ${req.method} ${req.url}: the route is not behind authentication`);
  return req.principal;
}
