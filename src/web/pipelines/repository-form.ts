// Connecting a pipeline to its repository from the pipeline page, as `slipway pipelines:connect`
// does (the same API route): a new webhook secret is made and shown once, on the answer page, with
// the webhook URL to paste into the git host; disconnecting asks for the pipeline's name.
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { getPipeline, type Pipeline } from '../../store/pipelines.js';
import { GIT_HOSTS, gitHost, type GitHostName } from '../../integrations/git-hosts.js';
import { callApiAs } from '../../api/internal-call.js';
import { fail } from '../../core/errors.js';
import { answerOrFail } from '../api-answer.js';
import { checkCsrf } from '../auth/sign-in.js';
import { viewOf } from '../view.js';
import { html, type Html } from '../html.js';
import { csrfField, enc, page, type View } from '../layout.js';

/** The connect form (and, when connected, the disconnect form). */
export function repositoryForm(v: View, p: Pipeline): Html {
  const base = `/pipelines/${enc(p.name)}/repository`;
  return html`<details class="edit repository"><summary>${p.repo ? 'Change repository' : 'Connect a repository'}</summary>
<form method="post" action="${base}" class="stack">${csrfField(v)}
<label>Repository <input name="repo" required placeholder="OWNER/REPO" value="${p.repo ?? ''}" pattern="[\\w.\\-]+(/[\\w.\\-]+)+"></label>
<label>Git host <select name="provider">${GIT_HOSTS.map((h) => html`<option value="${h}"${(p.repo_provider ?? 'github') === h ? html` selected` : ''}>${gitHost(h).title}</option>`)}</select></label>
<label>Clone URL <input name="clone_url" placeholder="the one in each webhook"></label>
<label>Status token <input name="status_token" type="password" autocomplete="off" placeholder="none: commits get no statuses"></label>
<label>Status API URL <input name="status_api_url" placeholder="the host's default"></label>
<button type="submit">Connect (makes a new webhook secret)</button></form>
${p.repo ? html`<form method="post" action="${base}/disconnect" class="row">${csrfField(v)}<label class="confirm">Type <code>${p.name}</code> to confirm <input name="confirm" autocomplete="off" required></label><button type="submit" class="danger">Disconnect</button></form>` : ''}
</details>`;
}

export function repositoryRoutes(app: FastifyInstance, ctx: AppContext): void {
  const opts = { config: { web: 'page' as const } };
  app.post<{ Params: { id: string } }>('/pipelines/:id/repository', opts, async (req, reply) => {
    checkCsrf(ctx, req);
    const p = await getPipeline(ctx.store.db, req.params.id);
    const f = (req.body ?? {}) as Record<string, string | undefined>;
    const text = (k: string) => (f[k]?.trim() ? f[k]!.trim() : undefined);
    const provider = (text('provider') ?? 'github') as GitHostName;
    if (!GIT_HOSTS.includes(provider)) throw fail('invalid_params', `Git host must be one of ${GIT_HOSTS.join(', ')}.`);
    const secret = randomBytes(24).toString('hex');
    answerOrFail(await callApiAs(app, req.web!.id, 'PATCH', `/pipelines/${enc(p.id)}`, {
      repo: text('repo') ?? '', repo_provider: provider, webhook_secret: secret,
      ...(text('clone_url') ? { repo_clone_url: text('clone_url') } : {}),
      ...(text('status_token') ? { status_token: text('status_token') } : {}),
      ...(text('status_api_url') ? { status_api_url: text('status_api_url') } : {}),
    }));
    const host = gitHost(provider);
    const hook = `${req.protocol}://${req.headers.host ?? ''}/hooks/${provider}`;
    const body = html`<h1>${p.name}</h1><section class="card connected"><h2>Connected to ${text('repo')} on ${host.title}</h2>
<p>Add a webhook to the repository with:</p>
<dl><dt>URL</dt><dd><code class="hook-url">${hook}</code></dd>${provider === 'gitlab' ? '' : html`<dt>Content type</dt><dd><code>application/json</code></dd>`}
<dt>Secret</dt><dd><code class="hook-secret">${secret}</code> <b>shown only now</b></dd></dl>
<p><a href="/pipelines/${enc(p.name)}">Back to the pipeline</a></p></section>`;
    return reply.header('cache-control', 'no-store').type('text/html; charset=utf-8').send(page(viewOf(req), `${p.name} repository`, body, { crumbs: [['Pipelines', '/pipelines'], [p.name, `/pipelines/${enc(p.name)}`], ['Repository', null]] }));
  });
  app.post<{ Params: { id: string } }>('/pipelines/:id/repository/disconnect', opts, async (req, reply) => {
    checkCsrf(ctx, req);
    const p = await getPipeline(ctx.store.db, req.params.id);
    if (((req.body ?? {}) as Record<string, string | undefined>)['confirm'] !== p.name) throw fail('confirmation_required', `To disconnect, type the pipeline's name (${p.name}) in the confirmation field.`);
    answerOrFail(await callApiAs(app, req.web!.id, 'PATCH', `/pipelines/${enc(p.id)}`, { repo: null, webhook_secret: null }));
    return reply.redirect(`/pipelines/${enc(p.name)}`, 303);
  });
}
