// The dashboard, served by `slipway server` itself: pages, their live parts and streams, and the
// forms. Every route is marked `config.web` so the API's bearer-only check leaves it to the
// dashboard's own (session cookie or bearer token); errors on pages come back as pages.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app-context.js';
import { SlipwayError, ERRORS } from '../core/errors.js';
import { html } from './html.js';
import { page } from './layout.js';
import { registerHtmlConstraint } from './negotiate.js';
import { registerWebAuth, signInRoutes } from './auth/sign-in.js';
import { assetRoutes } from './assets.js';
import { pipelinePages } from './pipelines/pipeline-pages.js';
import { testsPages } from './tests/tests-page.js';
import { trendsPages } from './pipelines/trends-page.js';
import { runPages } from './tests/run-page.js';
import { appPages } from './apps/app-pages.js';
import { auditPages } from './audit/audit-page.js';

// Scripts only from this server; inline styles are allowed for 256-colour ANSI spans.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'";

function errorReply(err: Error & { statusCode?: number }, req: FastifyRequest, reply: FastifyReply) {
  const known = err instanceof SlipwayError;
  const status = known ? err.status : err.statusCode && err.statusCode < 500 ? err.statusCode : 500;
  const id = known ? err.id : status < 500 ? 'invalid_params' : 'internal_error';
  const message = known || status < 500 ? err.message : ERRORS.internal_error.message;
  if (status >= 500) req.log.error(err);
  if (req.routeOptions.config.web !== 'page' || !req.web) return reply.status(status).send({ id, message });
  const v = { user: req.web.name, csrf: req.web.csrf, now: Date.now() };
  return reply.status(status).type('text/html; charset=utf-8').send(page(v, 'Error', html`<section class="card error-page"><h1>${status === 404 ? 'Not found' : 'That did not work'}</h1>
<p>${message}</p><p class="muted small">Error id <code>${id}</code> (HTTP ${status}).</p><p><a href="/pipelines">Back to pipelines</a></p></section>`));
}

export async function dashboardRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerHtmlConstraint(app);
  // Forms post urlencoded bodies; only dashboard routes accept them.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  registerWebAuth(app, ctx);
  app.setErrorHandler(errorReply);
  app.addHook('onSend', async (_req, reply) => {
    if (String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'same-origin').header('cache-control', 'no-store');
    }
  });
  app.get('/', { config: { web: 'page' } }, async (_req, reply) => reply.redirect('/pipelines', 303));
  await assetRoutes(app);
  await signInRoutes(app, ctx);
  await pipelinePages(app, ctx);
  await testsPages(app, ctx);
  await trendsPages(app, ctx);
  await runPages(app, ctx);
  await appPages(app, ctx);
  await auditPages(app, ctx);
}
