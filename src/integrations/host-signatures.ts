// The proofs GitLab and Gitea/Forgejo put on a delivery. GitLab sends the secret token itself in
// `X-Gitlab-Token`; Gitea and Forgejo sign the raw body: hex HMAC-SHA256 in `X-Gitea-Signature` /
// `X-Forgejo-Signature` (no `sha256=` prefix). Both compared in constant time.
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { SignatureCheck } from './github-signature.js';

/** GitLab: the token header must equal the secret (hashed first, so lengths never differ). */
export function checkGitlabToken(secret: string, header: string | undefined): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  const h = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(h(secret), h(header)) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** The X-Gitea-Signature value for `body` signed with `secret`. */
export const signGiteaBody = (secret: string, body: Buffer | string): string => createHmac('sha256', secret).update(body).digest('hex');

/** Gitea/Forgejo: hex HMAC-SHA256 of the raw body. */
export function checkGiteaSignature(secret: string, body: Buffer, header: string | undefined): SignatureCheck {
  if (!header) return { ok: false, reason: 'missing' };
  if (!/^[0-9a-f]{64}$/i.test(header.trim())) return { ok: false, reason: 'malformed' };
  const want = Buffer.from(signGiteaBody(secret, body), 'utf8');
  const got = Buffer.from(header.trim().toLowerCase(), 'utf8');
  return timingSafeEqual(want, got) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
