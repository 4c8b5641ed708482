// Sign-in with the API token (a signed session cookie), sign-out (the session is revoked, not only
// forgotten), the check every dashboard route runs, and the CSRF check of every form.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenById, verifyToken } from '../../store/tokens.js';
import { principalOf, setPrincipal, type Principal } from '../../api/principal.js';
import { presentedToken } from '../../api/auth.js';
import { noteSignInFailure, signInBlockedFor, tooManySignIns } from '../../api/sign-in-throttle.js';
import { fail } from '../../core/errors.js';
import type { AppContext } from '../../app-context.js';
import { html } from '../html.js';
import { csrfToken, csrfValid, newSession, parseCookies, SESSION_COOKIE, SESSION_SECONDS, sessionCookie, signSession, verifySession } from './session.js';
import { isRevoked, revokeSession } from './revoked.js';
import { safeNext } from './safe-next.js';
import { endPasswordSession, passwordSession } from './password-session.js';
import { emailBucket } from '../../api/password-auth.js';

/** page: redirect to /login without a session; data: 401; public: no check. */
export type WebRoute = 'page' | 'data' | 'public';
export interface WebActor { id: string; name: string; sid: string | null; csrf: string }

declare module 'fastify' {
  interface FastifyRequest { web?: WebActor }
  interface FastifyContextConfig { web?: WebRoute }
}

/** Who a dashboard request comes from: a bearer token (scripts) or a session cookie (browsers). */
async function webActor(ctx: AppContext, req: FastifyRequest): Promise<{ web: WebActor; who: Principal } | null> {
  const token = presentedToken(req);
  if (token) {
    // Dashboard routes take bearer tokens too: the same sign-in limit applies (blocked reads as signed out).
    if (await signInBlockedFor(ctx.store.db, req, token)) return null;
    const row = await verifyToken(ctx.store.db, token);
    if (!row) await noteSignInFailure(ctx.store.db, req, token);
    return row ? { web: { id: row.id, name: row.name, sid: null, csrf: '' }, who: await principalOf(ctx.store.db, row) } : null;
  }
  const s = verifySession(ctx.sessionSecret, parseCookies(req.headers.cookie)[SESSION_COOKIE], Date.now());
  if (!s) return null;
  // The token it was made with must still be live, and the session must not have been signed out.
  const row = await tokenById(ctx.store.db, s.tokenId);
  if (!row || await isRevoked(ctx.store.db, s.sid)) return null;
  return { web: { id: row.id, name: row.name, sid: s.sid, csrf: csrfToken(ctx.sessionSecret, s.sid) }, who: await principalOf(ctx.store.db, row) };
}

export function registerWebAuth(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onRequest', async (req, reply) => {
    const kind = req.routeOptions.config.web;
    if (!kind || kind === 'public') return;
    const actor = await webActor(ctx, req);
    if (actor) { req.web = actor.web; setPrincipal(req, actor.who); return; }
    if (kind === 'page' && req.method === 'GET') return reply.redirect(`/login?next=${encodeURIComponent(req.url)}`, 303);
    return reply.status(401).send({ id: 'unauthorized', message: 'Sign in to the dashboard at /login (or send the API token as a bearer token).' });
  });
}

const sameOrigin = (req: FastifyRequest): boolean => {
  const origin = req.headers.origin;
  return !origin || origin === `${req.protocol}://${req.headers.host}`;
};

/** Forms posted with a session cookie must come from this site and carry the session's CSRF token. */
export function checkCsrf(ctx: AppContext, req: FastifyRequest): void {
  const w = req.web;
  if (!w) throw fail('unauthorized');
  if (w.sid === null) return; // a bearer token is not sent by browsers on their own
  const body = (req.body ?? {}) as Record<string, unknown>;
  if (!sameOrigin(req) || !csrfValid(ctx.sessionSecret, w.sid, body['_csrf'])) throw fail('csrf_failed');
}


function loginPage(reply: FastifyReply, next: string, error?: string): FastifyReply {
  return reply.type('text/html; charset=utf-8').send('<!doctype html>\n' + html`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark">
<title>Sign in · Slipway</title><link rel="stylesheet" href="/assets/dashboard.css"></head>
<body class="login"><main><h1><span class="mark" aria-hidden="true"></span>Slipway</h1>
<form method="post" action="/login" class="card">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" autofocus>
<label for="password">Password, or an API token (leave the email empty)</label>
<input id="token" name="token" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="${next}">
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<button type="submit">Sign in</button>
<p class="hint">Users are made with <code>slipway users:create</code>. Or sign in with the admin token printed when the server first started (or <code>SLIPWAY_ADMIN_TOKEN</code>); <code>SLIPWAY_TOKEN</code> for the CLI works too.</p>
</form></main></body></html>`.value);
}

export async function signInRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Querystring: { next?: string } }>('/login', { config: { web: 'public' } }, async (req, reply) => loginPage(reply, safeNext(req.query.next)));

  app.post('/login', { config: { web: 'public' } }, async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body['next']);
    if (!sameOrigin(req)) return loginPage(reply.status(403), next, 'This sign-in form came from another site.');
    const secret = typeof body['token'] === 'string' && body['token'] ? body['token'].trim() : undefined;
    const email = typeof body['email'] === 'string' && body['email'].trim() ? body['email'].trim() : undefined;
    // A password attempt counts against the address and the email (so one account cannot be guessed at from many tokens' buckets).
    const bucket = email ? emailBucket(email) : secret;
    const wait = await signInBlockedFor(ctx.store.db, req, bucket);
    if (wait) return loginPage(reply.status(429).header('retry-after', String(wait)), next, tooManySignIns(wait));
    const tokenId = email ? await passwordSession(ctx.store.db, email, secret ?? '') : secret ? (await verifyToken(ctx.store.db, secret))?.id : undefined;
    if (!tokenId) {
      await noteSignInFailure(ctx.store.db, req, bucket);
      return loginPage(reply.status(401), next, email ? 'That email and password do not match. Check them and try again.' : 'That token is not valid. Check it and try again.');
    }
    const row = (await tokenById(ctx.store.db, tokenId))!;
    const value = signSession(ctx.sessionSecret, newSession(row.id, row.name, Date.now()));
    return reply.header('set-cookie', sessionCookie(value, SESSION_SECONDS, req.protocol === 'https')).redirect(next, 303);
  });

  app.post('/logout', { config: { web: 'page' } }, async (req, reply) => {
    checkCsrf(ctx, req);
    const s = verifySession(ctx.sessionSecret, parseCookies(req.headers.cookie)[SESSION_COOKIE], Date.now());
    if (s) await revokeSession(ctx.store.db, s.sid, s.exp);
    if (s) await endPasswordSession(ctx.store.db, s.tokenId);
    return reply.header('set-cookie', sessionCookie('', 0, req.protocol === 'https')).redirect('/login', 303);
  });
}
