// The sign-in rate limit applied: the dashboard's sign-in form and API bearer tokens both check it
// before looking at the token, and record each wrong token against the client address and the
// token's prefix (rows in the store, so a restart does not reset an attacker's window).
import type { Kysely } from 'kysely';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Database } from '../store/schema.js';
import { recentFailures, recordFailure } from '../store/sign-in-failures.js';
import { SIGN_IN_LIMIT, signInAllowed, signInKeys } from '../core/sign-in-limit.js';
import { ERRORS } from '../core/errors.js';

const windowStart = () => new Date(Date.now() - SIGN_IN_LIMIT.windowMs).toISOString();

/** Seconds until this request may try a token again, or 0 when it may now. */
export async function signInBlockedFor(db: Kysely<Database>, req: FastifyRequest, token: string | undefined): Promise<number> {
  const failures = await recentFailures(db, signInKeys(req.ip, token), windowStart());
  const waits = [...failures.values()].map((f) => signInAllowed(f, Date.now())).map((r) => (r.ok ? 0 : r.retryAfterSeconds));
  return Math.max(0, ...waits);
}

/** Count a wrong token against this request's address and the token's prefix. */
export function noteSignInFailure(db: Kysely<Database>, req: FastifyRequest, token: string | undefined): Promise<void> {
  return recordFailure(db, signInKeys(req.ip, token), windowStart());
}

/** What a refused attempt is told: when to come back. */
export function tooManySignIns(seconds: number): string {
  return `Too many failed sign-ins from this address (${SIGN_IN_LIMIT.failures} in ${SIGN_IN_LIMIT.windowMs / 60_000} minutes): try again in ${seconds} s. ${ERRORS.too_many_sign_ins.message}`;
}

/** Answer 429 with Retry-After and the registry's error. */
export function sendTooMany(reply: FastifyReply, seconds: number): FastifyReply {
  return reply.status(429).header('retry-after', String(seconds)).send({ id: 'too_many_sign_ins', message: tooManySignIns(seconds) });
}
