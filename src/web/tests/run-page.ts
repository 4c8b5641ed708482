// The permanent page of a test run, /pipelines/NAME/tests/N: status, a tab per node with its setup
// and test output (the tail, earlier pages on demand, new output live over SSE), the test cases,
// and the Re-run and Cancel buttons (the same code paths as `ci:rerun` and `ci:cancel`).
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { getPipeline, type Pipeline } from '../../store/pipelines.js';
import { countTestCases, getTestRunByNumber, listTestCases, listTestNodes, type TestNode, type TestRun } from '../../store/test-runs.js';
import { isTerminal, type TestStatus } from '../../core/test-run-status.js';
import { logKey } from '../../ci/node-events.js';
import { html, raw, type Html } from '../html.js';
import { enc, page, type View } from '../layout.js';
import { HTML_ROUTE } from '../negotiate.js';
import { viewOf } from '../view.js';
import { logWindow } from '../output/log-window.js';
import { pipelineTabs } from '../pipelines/pipeline-pages.js';
import { casesTable, meta, nodeLabel, nodeStatus, summary } from './run-parts.js';
import { runOutputRoutes } from './run-output.js';
import { runActionRoutes } from './run-actions.js';

const kb = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.ceil(n / 1024)} KB`);

function outputBlock(ctx: AppContext, base: string, run: TestRun, node: TestNode, stream: 'setup' | 'test'): Html {
  const key = logKey(run.id, node.idx, stream);
  const w = logWindow(ctx.logs, key);
  const live = !isTerminal(node.status as TestStatus) || ctx.logs.isLive(key);
  const url = `${base}/nodes/${node.idx}/${stream}`;
  return html`<section class="log-block"><h3>${stream === 'setup' ? 'Setup' : 'Test'} output</h3>
${w.start > 0 ? html`<button type="button" class="earlier" data-earlier="${url}/earlier" data-before="${w.start}">Load earlier output (${kb(w.start)} before this)</button>` : ''}
<pre class="log" data-stream="${stream}"${live ? html` data-live="${url}/live?from=${w.end}"` : ''}>${raw(w.html)}</pre></section>`;
}

async function parts(ctx: AppContext, v: View, p: Pipeline, run: TestRun): Promise<{ parts: Record<string, Html>; nodes: TestNode[] }> {
  const db = ctx.store.db;
  const nodes = await listTestNodes(db, run.id);
  const counts = (await countTestCases(db, [run.id])).get(run.id) ?? {};
  const out: Record<string, Html> = { summary: summary(v, p.name, run, counts) };
  for (const n of nodes) { out[`node-${n.idx}`] = nodeStatus(n); out[`tab-${n.idx}`] = nodeLabel(n); }
  out['cases'] = casesTable(await listTestCases(db, run.id), new Map(nodes.map((n) => [n.id, n.idx])), nodes.length > 1);
  return { parts: out, nodes };
}

export async function runPages(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const find = async (id: string, number: string) => {
    const p = await getPipeline(ctx.store.db, id);
    return { p, run: await getTestRunByNumber(ctx.store.db, p.id, Number(number) || 0) };
  };

  app.get<{ Params: { id: string; number: string } }>('/pipelines/:id/tests/:number', { constraints: HTML_ROUTE, config: { web: 'page' } }, async (req, reply) => {
    const v = viewOf(req);
    const { p, run } = await find(req.params.id, req.params.number);
    const { parts: pt, nodes } = await parts(ctx, v, p, run);
    const base = `/pipelines/${enc(p.name)}/tests/${run.number}`;
    const going = !isTerminal(run.status as TestStatus);
    const body = html`<h1>${p.name} <span class="muted">test run</span> #${run.number}</h1>${pipelineTabs(p, 'Tests')}
<div data-part="summary">${pt['summary']}</div>${meta(run)}
${nodes.length > 1 ? html`<nav class="node-tabs" role="tablist">${nodes.map((n, i) => html`<button type="button" role="tab" data-tab="node-${n.idx}" aria-selected="${i === 0}" data-part="tab-${n.idx}">${pt[`tab-${n.idx}`]}</button>`)}</nav>` : ''}
${nodes.map((n, i) => html`<section class="node" data-panel="node-${n.idx}"${i > 0 ? html` hidden` : ''}>
<p class="node-status">${nodes.length > 1 ? html`<b>Node ${n.idx}</b> ` : ''}<span data-part="node-${n.idx}">${pt[`node-${n.idx}`]}</span></p>
${outputBlock(ctx, base, run, n, 'setup')}${outputBlock(ctx, base, run, n, 'test')}</section>`)}
${nodes.length ? '' : html`<p class="muted" data-awaiting-nodes>Waiting for the run to start…</p>`}
<section class="card"><h2>Test cases</h2><div data-part="cases">${pt['cases']}</div></section>`;
    return reply.type('text/html; charset=utf-8').send(page(v, `${p.name} #${run.number}`, body, {
      crumbs: [['Pipelines', '/pipelines'], [p.name, `/pipelines/${enc(p.name)}`], ['Tests', `/pipelines/${enc(p.name)}/tests`], [`#${run.number}`, null]],
      // A run that has ended changes no more; one still going is polled until it ends.
      poll: going || !nodes.length ? `${base}/state` : undefined,
    }));
  });

  app.get<{ Params: { id: string; number: string } }>('/pipelines/:id/tests/:number/state', { config: { web: 'data' } }, async (req) => {
    const { p, run } = await find(req.params.id, req.params.number);
    const { parts: pt, nodes } = await parts(ctx, viewOf(req), p, run);
    return { done: isTerminal(run.status as TestStatus), status: run.status, nodes: nodes.length, parts: Object.fromEntries(Object.entries(pt).map(([k, h]) => [k, h.value])) };
  });

  await runOutputRoutes(app, ctx, find);
  await runActionRoutes(app, ctx, find);
}
