// Email and password instead of a token, for one thing only: creating an authorization (POST
// /oauth/authorizations with Basic EMAIL:PASSWORD, as Heroku's `login` once did). Every other API
// call takes a token; the same sign-in limit applies, counted per address and per email.
import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { userById, userForSignIn } from '../store/users.js';
import { verifyPassword } from '../core/password.js';
import type { Principal } from './principal.js';

/** The email and password of a Basic header whose user name is an email, on the one route that takes them. */
export function passwordAttempt(req: FastifyRequest, pathname: string): { email: string; password: string } | undefined {
  if (req.method !== 'POST' || pathname !== '/oauth/authorizations') return undefined;
  const [scheme, value] = (req.headers.authorization ?? '').split(' ', 2);
  if (scheme?.toLowerCase() !== 'basic' || !value) return undefined;
  const decoded = Buffer.from(value, 'base64').toString();
  const colon = decoded.indexOf(':');
  const email = decoded.slice(0, colon);
  return colon > 0 && email.includes('@') ? { email, password: decoded.slice(colon + 1) } : undefined;
}

/** The sign-in limit's bucket for an email (the limiter keys on a token-like string). */
export const emailBucket = (email: string): string => `slp_${email.trim().toLowerCase()}`;

/** The principal a right password acts as (scope write, no token yet), else undefined. */
export async function passwordPrincipal(db: Kysely<Database>, email: string, password: string): Promise<Principal | undefined> {
  const row = await userForSignIn(db, email);
  if (!row || !(await verifyPassword(password, row.password_hash))) return undefined;
  const user = (await userById(db, row.id))!;
  return { userId: user.id, email: user.email, admin: user.admin, tokenId: '', tokenName: 'password', scopes: ['write'] };
}
