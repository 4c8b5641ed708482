// The pipeline's Trends tab: CI runs per day by outcome, pass rate and median duration over the
// last 30 days, and over its last 100 runs the slowest tests and the flakiest ones.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { getPipeline } from '../../store/pipelines.js';
import { finishedRunsSince, flakiestTests, slowestTests } from '../../store/ci-trends.js';
import { dailyTrends } from '../../ci/trends.js';
import { html } from '../html.js';
import { enc, page } from '../layout.js';
import { viewOf } from '../view.js';
import { svgChart } from '../svg-chart.js';
import { pipelineTabs } from './pipeline-pages.js';

const DAYS = 30;
const RUNS = 100;
const ms = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} s` : `${v.toFixed(1)} ms`);

export async function trendsPages(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Params: { id: string } }>('/pipelines/:id/trends', { config: { web: 'page' } }, async (req, reply) => {
    const v = viewOf(req);
    const db = ctx.store.db;
    const p = await getPipeline(db, req.params.id);
    const now = Date.now();
    const days = dailyTrends(await finishedRunsSince(db, p.id, new Date(now - DAYS * 86_400_000).toISOString()), DAYS, now);
    const [slow, flaky] = await Promise.all([slowestTests(db, p.id, RUNS, 10), flakiestTests(db, p.id, RUNS, 10)]);
    const base = { times: days.map((d) => d.day), to: new Date(Date.parse(days.at(-1)!.day) + 86_400_000).toISOString() };
    const total = days.reduce((n, d) => n + d.succeeded + d.failed + d.other, 0);
    const body = html`<h1>${p.name}</h1>${pipelineTabs(p, 'Trends')}
<section class="card trends" data-runs="${total}"><h2>CI over the last ${DAYS} days</h2><div class="charts">
${svgChart({ ...base, title: 'Runs', unit: 'per day', stacked: true, series: [
    { name: 'succeeded', color: '#2e9e5b', values: days.map((d) => d.succeeded) },
    { name: 'failed', color: '#c94040', values: days.map((d) => d.failed) },
    { name: 'errored or cancelled', color: '#8a8f98', values: days.map((d) => d.other) }] })}
${svgChart({ ...base, title: 'Pass rate', unit: '%', yMax: 100, series: [{ name: 'passed', color: '#2e9e5b', values: days.map((d) => d.passRate) }] })}
${svgChart({ ...base, title: 'Duration', unit: 's, median', series: [{ name: 'median', color: '#3b82c4', values: days.map((d) => d.medianSeconds) }] })}
</div></section>
<div class="two"><section class="card slowest"><h2>Slowest tests <span class="muted">(last ${RUNS} runs)</span></h2>
${slow.length ? html`<table class="list"><thead><tr><th>Test</th><th>Mean</th><th>Slowest</th><th>Runs</th></tr></thead><tbody>
${slow.map((t) => html`<tr><td>${t.description}</td><td data-ms="${t.mean_ms}">${ms(t.mean_ms)}</td><td>${ms(t.max_ms)}</td><td>${t.runs}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No test reported its duration yet (TAP <code>duration_ms</code> or <code># time=</code>, JUnit <code>time</code>).</p>`}</section>
<section class="card flakiest"><h2>Flakiest tests <span class="muted">(last ${RUNS} runs)</span></h2>
${flaky.length ? html`<table class="list"><thead><tr><th>Test</th><th>Flaky</th><th>Failed</th><th>Runs</th></tr></thead><tbody>
${flaky.map((t) => html`<tr><td>${t.description}</td><td>${t.flaky}</td><td>${t.failed}</td><td>${t.runs}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No test failed or flaked in the last ${RUNS} runs.</p>`}</section></div>`;
    return reply.type('text/html; charset=utf-8').send(page(v, `${p.name} trends`, body, { crumbs: [['Pipelines', '/pipelines'], [p.name, `/pipelines/${enc(p.name)}`], ['Trends', null]] }));
  });
}
