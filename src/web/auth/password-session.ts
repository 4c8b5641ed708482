// Signing in to the dashboard with email and password: a checked password becomes an authorization
// of its own (scope write, expiring with the session), so every check downstream sees one kind of
// principal — a token — and signing out or destroying the user ends it at once.
import type { Kysely } from 'kysely';
import type { Database } from '../../store/schema.js';
import { issueToken, revokeToken, tokenById } from '../../store/tokens.js';
import { userForSignIn } from '../../store/users.js';
import { verifyPassword } from '../../core/password.js';
import { SESSION_SECONDS } from './session.js';

export const SESSION_TOKEN_NAME = 'dashboard session';

/** The id of a new session token if the password is the user's, else undefined. */
export async function passwordSession(db: Kysely<Database>, email: string, password: string): Promise<string | undefined> {
  const user = await userForSignIn(db, email);
  if (!user || !(await verifyPassword(password, user.password_hash))) return undefined;
  const expiresAt = new Date(Date.now() + SESSION_SECONDS * 1000).toISOString();
  return (await issueToken(db, SESSION_TOKEN_NAME, { userId: user.id, scopes: ['write'], expiresAt })).id;
}

/** At sign-out, a password session's token goes too (a token session keeps its token). */
export async function endPasswordSession(db: Kysely<Database>, tokenId: string): Promise<void> {
  const row = await tokenById(db, tokenId);
  if (row?.name === SESSION_TOKEN_NAME) await revokeToken(db, tokenId);
}
