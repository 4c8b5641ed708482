// Bearer-token auth on every API route (Basic with the token as password works too, for git).
// Without a valid token: 401 and nothing else. Signed stream/blob URLs carry their own proof.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { tokenById, verifyToken } from '../store/tokens.js';
import { principalOf, setPrincipal } from './principal.js';
import { checkSignedPath } from '../core/signed-url.js';
import { fail } from '../core/errors.js';
import { emailBucket, passwordAttempt, passwordPrincipal } from './password-auth.js';
import type { AppContext } from '../app-context.js';
import { noteSignInFailure, sendTooMany, signInBlockedFor } from './sign-in-throttle.js';
import { internalActor } from './internal-call.js';

declare module 'fastify' {
  interface FastifyRequest { actor?: { id: string; name: string } }
}

export function presentedToken(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const [scheme, value] = h.split(' ', 2);
  if (scheme?.toLowerCase() === 'bearer') return value?.trim();
  if (scheme?.toLowerCase() === 'basic' && value) {
    const decoded = Buffer.from(value, 'base64').toString();
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

/** git's smart-HTTP requests, under `/<app>.git/` or `/git/<app>.git/`: they are challenged with Basic, which git answers. */
export const isGitPath = (p: string): boolean => /^(?:\/git)?\/[^/]+\.git\/(?:info\/refs|git-upload-pack|git-receive-pack)$/.test(p);

// The git hook endpoint checks its own one-time push token; webhooks are signed with the pipeline's secret.
const PUBLIC = new Set(['/health', '/git-hooks/push', '/hooks/github', '/hooks/gitlab', '/hooks/gitea', '/hooks/forgejo']);

export function registerAuth(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', async (req, reply) => {
    const url = new URL(req.url, 'http://x');
    if (PUBLIC.has(url.pathname)) return;
    // Agent routes take agent tokens only (api/agent/agent-auth.ts), never an API token. Decided by
    // the route matched, not the path: no spelling of a path skips this check for another route.
    if (req.routeOptions.url?.startsWith('/agent/v1/')) return;
    if (req.routeOptions.config.web) return; // the dashboard checks its session cookie or token itself (src/web/auth)
    // A signed URL is for one method on one path until it expires; a bad one is refused as such, never tried as a token.
    const signed = checkSignedPath(ctx.secret, req.method, url.pathname, url.searchParams, Math.floor(Date.now() / 1000));
    if (signed === 'ok') return;
    if (signed !== 'absent' && !req.headers.authorization) {
      const e = fail(signed === 'expired' ? 'signed_url_expired' : 'signed_url_invalid');
      return reply.status(e.status).send({ id: e.id, message: e.message });
    }
    // A dashboard form acting through this API in-process, as the principal signed in there.
    const internal = internalActor(req);
    if (internal) {
      const row = await tokenById(ctx.store.db, internal);
      if (row) { setPrincipal(req, await principalOf(ctx.store.db, row)); return; }
    }
    const attempt = passwordAttempt(req, url.pathname);
    if (attempt) {
      const wait = await signInBlockedFor(ctx.store.db, req, emailBucket(attempt.email));
      if (wait) return sendTooMany(reply, wait);
      const who = await passwordPrincipal(ctx.store.db, attempt.email, attempt.password);
      if (who) { setPrincipal(req, who); return; }
      await noteSignInFailure(ctx.store.db, req, emailBucket(attempt.email));
      return reply.status(401).send({ id: 'unauthorized', message: 'That email and password do not match.' });
    }
    const token = presentedToken(req);
    // Only a presented token counts: git and browsers first ask without one.
    if (token) {
      const wait = await signInBlockedFor(ctx.store.db, req, token);
      if (wait) return sendTooMany(reply, wait);
    }
    const row = token ? await verifyToken(ctx.store.db, token) : undefined;
    if (!row) {
      if (token) await noteSignInFailure(ctx.store.db, req, token);
      // git asks for a password (the token) only when offered Basic.
      return reply.status(401).header('www-authenticate', isGitPath(url.pathname) ? 'Basic realm="slipway"' : 'Bearer realm="slipway"')
        .send({ id: 'unauthorized', message: 'Invalid credentials provided. Run `slipway login` with the admin token, or set SLIPWAY_TOKEN.' });
    }
    setPrincipal(req, await principalOf(ctx.store.db, row));
  });
}
