// GitHub's webhook signature: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header value GitHub sends for `body` signed with `secret`. */
export function signBody(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' };

/** Check a delivery's signature in constant time (a mismatch must not leak how much of it matched). */
export function checkSignature(secret: string, body: Buffer, header: string | undefined): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  if (!/^sha256=[0-9a-f]{64}$/i.test(header.trim())) return { ok: false, reason: 'malformed' };
  const want = Buffer.from(signBody(secret, body), 'utf8');
  const got = Buffer.from(header.trim().toLowerCase(), 'utf8');
  return want.length === got.length && timingSafeEqual(want, got) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
