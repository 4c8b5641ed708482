// Stream and blob URLs carry a signature so that tools (curl, the heroku CLI) can read them without a token.
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signPath(secret: string, pathname: string): string {
  return createHmac('sha256', secret).update(pathname).digest('base64url').slice(0, 32);
}

export function verifyPath(secret: string, pathname: string, sig: string | undefined): boolean {
  if (!sig) return false;
  const want = Buffer.from(signPath(secret, pathname));
  const got = Buffer.from(sig);
  return want.length === got.length && timingSafeEqual(want, got);
}
