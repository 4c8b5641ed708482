// Dashboard sessions: a cookie holding who signed in and until when, HMAC-signed with the server's
// secret (no table needed), plus the CSRF token derived from the session id.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

export const SESSION_COOKIE = 'slipway_session';
export const SESSION_SECONDS = 12 * 3600;

export interface Session { sid: string; tokenId: string; name: string; exp: number }

const mac = (secret: string, purpose: string, data: string): string =>
  createHmac('sha256', secret).update(`slipway-${purpose}\n${data}`).digest('base64url');

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** A new session for a verified API token, valid for `seconds` from `nowMs`. */
export function newSession(tokenId: string, name: string, nowMs: number, seconds = SESSION_SECONDS): Session {
  return { sid: randomBytes(16).toString('base64url'), tokenId, name, exp: Math.floor(nowMs / 1000) + seconds };
}

/** The cookie value: base64url(JSON).signature. */
export function signSession(secret: string, s: Session): string {
  const body = Buffer.from(JSON.stringify(s)).toString('base64url');
  return `${body}.${mac(secret, 'session', body)}`;
}

/** The session in a cookie value if its signature is right and it has not expired; else null. */
export function verifySession(secret: string, value: string | undefined, nowMs: number): Session | null {
  if (!value) return null;
  const dot = value.lastIndexOf('.');
  if (dot <= 0) return null;
  const body = value.slice(0, dot);
  if (!same(value.slice(dot + 1), mac(secret, 'session', body))) return null;
  try {
    const s = JSON.parse(Buffer.from(body, 'base64url').toString()) as Session;
    if (typeof s.sid !== 'string' || typeof s.tokenId !== 'string' || typeof s.exp !== 'number') return null;
    return s.exp * 1000 > nowMs ? s : null;
  } catch { return null; }
}

/** The CSRF token forms of this session carry. */
export const csrfToken = (secret: string, sid: string): string => mac(secret, 'csrf', sid).slice(0, 32);

export const csrfValid = (secret: string, sid: string, presented: unknown): boolean =>
  typeof presented === 'string' && same(presented, csrfToken(secret, sid));

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const k = part.slice(0, eq).trim();
    if (!(k in out)) out[k] = decodeURIComponent(part.slice(eq + 1).trim());
  }
  return out;
}

/** Set-Cookie for the session (value '' and maxAge 0 clears it). */
export function sessionCookie(value: string, maxAge: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${encodeURIComponent(value)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secure ? '; Secure' : ''}`;
}
