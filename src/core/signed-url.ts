// Signed URLs let tools (curl, the heroku CLI, git hosts' archive fetchers) read a stream or move a
// source without a token. Each is bound to one method and one path and expires: an upload URL does
// not download, a stream's URL opens no other stream, and a leaked URL is useless minutes later.

/** What a signed URL allows: GET (also HEAD), PUT (source uploads), ATTACH (rendezvous to a one-off). */
export type SignedMethod = 'GET' | 'PUT' | 'ATTACH';

import { createHmac, timingSafeEqual } from 'node:crypto';

const mac = (secret: string, method: SignedMethod, pathname: string, exp: number): string =>
  createHmac('sha256', secret).update(`${method}\n${pathname}\n${exp}`).digest('base64url').slice(0, 32);

/** The query string (`exp=…&sig=…`) that lets `method` on `pathname` until `exp` (unix seconds). */
export function signPath(secret: string, method: SignedMethod, pathname: string, exp: number): string {
  return `exp=${exp}&sig=${mac(secret, method, pathname, exp)}`;
}

/** The query that signs `method` on `pathname` for the configured time (SLIPWAY_SIGNED_URL_MINUTES) from now. */
export function signedQuery(keys: { secret: string; config: { signedUrlSeconds: number } }, pathname: string, method: SignedMethod = 'GET'): string {
  return signPath(keys.secret, method, pathname, Math.floor(Date.now() / 1000) + keys.config.signedUrlSeconds);
}

export type SignedCheck = 'ok' | 'expired' | 'invalid' | 'absent';

/** Whether the query of a request for `method` `pathname` at `nowSec` carries a valid signature. */
export function checkSignedPath(secret: string, method: string, pathname: string, query: URLSearchParams, nowSec: number): SignedCheck {
  const sig = query.get('sig');
  if (!sig) return 'absent';
  const exp = Number(query.get('exp'));
  const m: SignedMethod | undefined = method === 'GET' || method === 'HEAD' ? 'GET' : method === 'PUT' ? 'PUT' : method === 'ATTACH' ? 'ATTACH' : undefined;
  if (!m || !Number.isSafeInteger(exp)) return 'invalid';
  const want = Buffer.from(mac(secret, m, pathname, exp));
  const got = Buffer.from(sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid';
  return exp < nowSec ? 'expired' : 'ok';
}
