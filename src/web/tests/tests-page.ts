// The Tests tab: a pipeline's runs newest first, filtered by branch and status, 50 to a page by
// keyset on the run number (page 100 costs what page 1 does); the first page follows new runs live.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import type { AppContext } from '../../app-context.js';
import { getPipeline, type Pipeline } from '../../store/pipelines.js';
import { countTestCases, listTestRuns, testRunBranches, type TestRun } from '../../store/test-runs.js';
import { STATUSES } from '../../core/test-run-status.js';
import { parseBody } from '../../api/errors.js';
import { html, type Html } from '../html.js';
import { ago, badge, enc, page } from '../layout.js';
import { runDuration, shortSha } from '../format.js';
import { viewOf } from '../view.js';
import { pipelineTabs } from '../pipelines/pipeline-pages.js';

export const PAGE_SIZE = 50;
const query = z.object({ branch: z.string().max(255).optional(), status: z.enum(STATUSES).or(z.literal('')).optional(), before: z.coerce.number().int().min(1).optional() });
type Filters = z.infer<typeof query>;

const qs = (f: Filters): string => {
  const p = new URLSearchParams();
  if (f.branch) p.set('branch', f.branch);
  if (f.status) p.set('status', f.status);
  if (f.before) p.set('before', String(f.before));
  const s = p.toString();
  return s ? `?${s}` : '';
};

async function rows(ctx: AppContext, p: Pipeline, f: Filters): Promise<{ body: Html; older?: number }> {
  const runs = await listTestRuns(ctx.store.db, p.id, { limit: PAGE_SIZE + 1, before: f.before, branch: f.branch || undefined, status: f.status || undefined });
  const shown = runs.slice(0, PAGE_SIZE);
  const counts = await countTestCases(ctx.store.db, shown.map((r) => r.id));
  const now = Date.now();
  const row = (r: TestRun) => {
    const c = counts.get(r.id) ?? { passed: 0, failed: 0, skipped: 0, todo: 0 };
    const href = `/pipelines/${enc(p.name)}/tests/${r.number}`;
    return html`<tr class="run ${r.status}" data-run="${r.number}"><td><a href="${href}">#${r.number}</a></td><td>${badge(r.status)}</td>
<td>${r.commit_branch ?? html`<span class="muted">—</span>`}${r.kind === 'acceptance' ? html` <span class="tag">acceptance</span>` : ''}</td>
<td><code>${shortSha(r.commit_sha)}</code> <span class="msg">${(r.commit_message ?? '').split('\n')[0]}</span></td>
<td class="counts"><span class="ok">${c['passed'] ?? 0} passed</span> <span class="bad">${c['failed'] ?? 0} failed</span> <span class="muted">${(c['skipped'] ?? 0) + (c['todo'] ?? 0)} skipped</span></td>
<td>${runDuration(r.created_at, r.finished_at, now)}</td><td>${ago(r.created_at)}</td></tr>`;
  };
  const body = shown.length ? html`${shown.map(row)}` : html`<tr><td colspan="7" class="muted">No test runs${f.branch || f.status ? ' match these filters' : html` yet: run one with <code>slipway ci:run</code>`}.</td></tr>`;
  return { body, older: runs.length > PAGE_SIZE ? shown[shown.length - 1]!.number : undefined };
}

export async function testsPages(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Params: { id: string } }>('/pipelines/:id/tests', { config: { web: 'page' } }, async (req, reply) => {
    const v = viewOf(req);
    const p = await getPipeline(ctx.store.db, req.params.id);
    const f = parseBody(query, req.query);
    const { body, older } = await rows(ctx, p, f);
    const branches = await testRunBranches(ctx.store.db, p.id);
    const base = `/pipelines/${enc(p.name)}/tests`;
    return reply.type('text/html; charset=utf-8').send(page(v, `${p.name} tests`, html`<h1>${p.name}</h1>${pipelineTabs(p, 'Tests')}
<form class="filters" method="get" action="${base}">
<label>Branch <input name="branch" list="branches" value="${f.branch ?? ''}" placeholder="any"></label>
<datalist id="branches">${branches.map((b) => html`<option value="${b}">`)}</datalist>
<label>Status <select name="status"><option value="">any</option>${STATUSES.map((s) => html`<option${f.status === s ? html` selected` : ''}>${s}</option>`)}</select></label>
<button type="submit">Filter</button>${f.branch || f.status ? html` <a href="${base}">Clear</a>` : ''}
</form>
<div class="scroll"><table class="list runs"><thead><tr><th>Run</th><th>Status</th><th>Branch</th><th>Commit</th><th>Tests</th><th>Duration</th><th>Started</th></tr></thead>
<tbody data-part="rows">${body}</tbody></table></div>
<nav class="pager">${f.before ? html`<a href="${base}${qs({ ...f, before: undefined })}">« Newest</a>` : ''}${older ? html`<a rel="next" href="${base}${qs({ ...f, before: older })}">Older »</a>` : ''}</nav>`,
    { crumbs: [['Pipelines', '/pipelines'], [p.name, `/pipelines/${enc(p.name)}`], ['Tests', null]], poll: f.before ? undefined : `${base}/state${qs(f)}` }));
  });

  app.get<{ Params: { id: string } }>('/pipelines/:id/tests/state', { config: { web: 'data' } }, async (req) => {
    const p = await getPipeline(ctx.store.db, req.params.id);
    const { body } = await rows(ctx, p, { ...parseBody(query, req.query), before: undefined });
    return { done: false, parts: { rows: body.value } };
  });
}
