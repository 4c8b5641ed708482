// Pages: the pipelines list (with apps not in a pipeline) and one pipeline's board, kept live by
// polling its parts; the Promote form posts to the same promotion code the API uses.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { getPipeline, type Pipeline } from '../../store/pipelines.js';
import { getApp } from '../../store/apps.js';
import { latestTestRunsOf } from '../../store/list-facts.js';
import { listPipelineEvents } from '../../store/pipeline-events.js';
import { promote } from '../../pipelines/promote.js';
import { fail } from '../../core/errors.js';
import { html, type Html } from '../html.js';
import { badge, enc, page, tabs, ago, type View, offers } from '../layout.js';
import { HTML_ROUTE } from '../negotiate.js';
import { checkCsrf } from '../auth/sign-in.js';
import { viewOf } from '../view.js';
import { stageApps, stageBoard } from './stage-board.js';
import { automationPanel, eventLog } from './automation-panel.js';
import { repositoryRoutes } from './repository-form.js';
import { mayOn } from '../may.js';
import { callApiAs } from '../../api/internal-call.js';
import { answerOrFail } from '../api-answer.js';
import { visibleApps, visiblePipelines } from '../../api/visible.js';

export const pipelineTabs = (p: Pipeline, current: string): Html =>
  tabs([['Pipeline', `/pipelines/${enc(p.name)}`], ['Tests', `/pipelines/${enc(p.name)}/tests`], ['Trends', `/pipelines/${enc(p.name)}/trends`]], current);

async function listPage(ctx: AppContext, v: View, req: FastifyRequest): Promise<string> {
  const db = ctx.store.db;
  const pipelines = await visiblePipelines(db, req);
  const couplings = await db.selectFrom('pipeline_couplings').select(['app_id', 'pipeline_id', 'stage']).execute();
  // One query for every pipeline's latest run, and counts from one pass: the page costs the same few queries for 1 or 1,000 pipelines.
  const lastRuns = await latestTestRunsOf(db, pipelines.map((p) => p.id));
  const counts = new Map<string, number>();
  for (const c of couplings) counts.set(c.pipeline_id, (counts.get(c.pipeline_id) ?? 0) + 1);
  const rows = pipelines.map((p) => ({ p, last: lastRuns.get(p.id), apps: counts.get(p.id) ?? 0 }));
  const coupled = new Set(couplings.map((c) => c.app_id));
  const loose = (await visibleApps(db, req)).filter((a) => !coupled.has(a.id));
  return page(v, 'Pipelines', html`<h1>Pipelines</h1>
${rows.length ? html`<table class="list"><thead><tr><th>Pipeline</th><th>Apps</th><th>Latest test run</th></tr></thead><tbody>
${rows.map(({ p, last, apps }) => html`<tr><td><a href="/pipelines/${enc(p.name)}">${p.name}</a></td><td>${apps}</td>
<td>${last ? html`<a href="/pipelines/${enc(p.name)}/tests/${last.number}">#${last.number}</a> ${badge(last.status)} ${ago(last.created_at)}` : html`<span class="muted">none</span>`}</td></tr>`)}
</tbody></table>` : html`<p class="muted">No pipelines yet. Create one with <code>slipway pipelines:create NAME</code>.</p>`}
${loose.length ? html`<h2>Apps outside pipelines</h2><ul class="plain">${loose.map((a) => html`<li><a href="/apps/${enc(a.name)}">${a.name}</a></li>`)}</ul>` : ''}`,
  { crumbs: [['Pipelines', null]] });
}

async function boardParts(ctx: AppContext, v: View, p: Pipeline): Promise<Record<string, Html>> {
  return { stages: stageBoard(v, p, await stageApps(ctx, p)), events: eventLog(await listPipelineEvents(ctx.store.db, p.id, 15)) };
}

export async function pipelinePages(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/pipelines', { constraints: HTML_ROUTE, config: { web: 'page' } }, async (req, reply) => reply.type('text/html; charset=utf-8').send(await listPage(ctx, viewOf(req), req)));

  app.get<{ Params: { id: string }; Querystring: { promoted?: string } }>('/pipelines/:id', { constraints: HTML_ROUTE, config: { web: 'page' } }, async (req, reply) => {
    const p = await getPipeline(ctx.store.db, req.params.id);
    const v = { ...viewOf(req), may: await mayOn(ctx.store.db, req, 'pipeline', p) };
    const parts = await boardParts(ctx, v, p);
    const notice = req.query.promoted ? html`<p class="notice" role="status">Promotion of ${req.query.promoted} started; the new release appears below when its release phase is done.</p>` : '';
    return reply.type('text/html; charset=utf-8').send(page(v, p.name, html`<h1>${p.name}</h1>${pipelineTabs(p, 'Pipeline')}${notice}
<div data-part="stages">${parts['stages']}</div>
<div class="two">${automationPanel(p, offers(v, 'manage') ? v : undefined)}<section class="card" data-part="events">${parts['events']}</section></div>`,
    { crumbs: [['Pipelines', '/pipelines'], [p.name, null]], poll: `/pipelines/${enc(p.name)}/state` }));
  });

  app.get<{ Params: { id: string } }>('/pipelines/:id/state', { config: { web: 'data' } }, async (req) => {
    const p = await getPipeline(ctx.store.db, req.params.id);
    const parts = await boardParts(ctx, { ...viewOf(req), may: await mayOn(ctx.store.db, req, 'pipeline', p) }, p);
    return { done: false, parts: Object.fromEntries(Object.entries(parts).map(([k, h]) => [k, h.value])) };
  });

  // The automation form: unchecked boxes are off, empty fields are "none"/"server default".
  repositoryRoutes(app, ctx);
  app.post<{ Params: { id: string } }>('/pipelines/:id/settings', { config: { web: 'page' } }, async (req, reply) => {
    checkCsrf(ctx, req);
    const p = await getPipeline(ctx.store.db, req.params.id);
    const f = (req.body ?? {}) as Record<string, string | undefined>;
    const text = (k: string) => (f[k]?.trim() ? f[k]!.trim() : null);
    const flags = Object.fromEntries(['ci_enabled', 'auto_deploy', 'wait_for_ci', 'auto_promote', 'review_apps', 'review_autodeploy', 'review_autodestroy'].map((k) => [k, f[k] === 'on']));
    const timeout = text('ci_timeout_seconds');
    answerOrFail(await callApiAs(app, req.web!.id, 'PATCH', `/pipelines/${enc(p.id)}`, {
      ...flags, ci_branches: text('ci_branches'), acceptance_command: text('acceptance_command'), deploy_branch: text('deploy_branch') ?? p.deploy_branch,
      ci_timeout_seconds: timeout === null ? null : Number(timeout),
    }));
    return reply.redirect(`/pipelines/${enc(p.name)}`, 303);
  });

  app.post<{ Params: { id: string } }>('/pipelines/:id/promote', { config: { web: 'page' } }, async (req, reply) => {
    checkCsrf(ctx, req);
    const p = await getPipeline(ctx.store.db, req.params.id);
    const name = (req.body as Record<string, unknown> | undefined)?.['app'];
    if (typeof name !== 'string' || !name) throw fail('invalid_params', 'Which app to promote is missing (form field "app").');
    const source = await getApp(ctx.store.db, name);
    await promote(ctx, { pipeline: p, source, actor: req.actor?.name ?? null });
    return reply.redirect(`/pipelines/${enc(p.name)}?promoted=${enc(source.name)}`, 303);
  });
}
