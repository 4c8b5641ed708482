// The app page's metrics: response time, throughput by status class, memory and CPU per dyno, and
// error codes over 1 h / 24 h / 7 d, each plot marked with the releases made in the range.
import type { AppContext } from '../../app-context.js';
import type { App } from '../../store/apps.js';
import { appMetrics } from '../../metrics/app-metrics.js';
import { RANGES, type MetricsRange } from '../../metrics/series.js';
import { html, type Html } from '../html.js';
import { enc } from '../layout.js';
import { svgChart, type ChartSeries } from '../svg-chart.js';

const PALETTE = ['#3b82c4', '#2e9e5b', '#d49a1f', '#c94040', '#8a5cc2', '#2aa3a3', '#b0567a', '#6b7a2e'];
const CLASSES = [['2xx', '#2e9e5b'], ['3xx', '#3b82c4'], ['4xx', '#d49a1f'], ['5xx', '#c94040']] as const;

export async function metricsCard(ctx: AppContext, a: App, range: MetricsRange): Promise<Html> {
  const m = await appMetrics(ctx.store.db, a.id, range);
  const times = m.points.map((p) => p.at);
  const markers = m.releases.map((r) => ({ at: r.created_at, label: `v${r.version}` }));
  const base = { times, to: m.to, markers };
  const perKey = (pick: (p: (typeof m.points)[number]) => Record<string, number | undefined>): ChartSeries[] => {
    const keys = [...new Set(m.points.flatMap((p) => Object.keys(pick(p))))].sort();
    return keys.map((k, i) => ({ name: k, color: PALETTE[i % PALETTE.length]!, values: m.points.map((p) => pick(p)[k] ?? null) }));
  };
  const memory = perKey((p) => Object.fromEntries(Object.entries(p.memory).map(([d, v]) => [d, v.max])));
  const cpu = perKey((p) => p.cpu);
  const events = perKey((p) => p.events).map((s) => ({ ...s, values: s.values.map((v) => v ?? 0) }));
  const requests = m.points.reduce((n, p) => n + p.requests['2xx'] + p.requests['3xx'] + p.requests['4xx'] + p.requests['5xx'], 0);
  const link = (r: string) => html`<a href="/apps/${enc(a.name)}?range=${r}#metrics"${r === range ? html` aria-current="page"` : ''}>${r}</a>`;
  return html`<section class="card metrics" id="metrics" data-range="${range}" data-requests="${requests}"><h2>Metrics <nav class="tabs inline">${Object.keys(RANGES).map(link)}</nav></h2>
<div class="charts">
${svgChart({ ...base, title: 'Response time', unit: 'ms', series: [['p50', PALETTE[0]!], ['p95', PALETTE[2]!], ['p99', PALETTE[3]!]].map(([name, color]) => ({ name: name!, color: color!, values: m.points.map((p) => p[name as 'p50' | 'p95' | 'p99']) })) })}
${svgChart({ ...base, title: 'Throughput', unit: `requests per ${m.step_seconds / 60} min`, stacked: true, series: CLASSES.map(([name, color]) => ({ name, color, values: m.points.map((p) => p.requests[name]) })) })}
${memory.length ? svgChart({ ...base, title: 'Memory', unit: 'MB, most used', series: memory }) : html`<p class="muted">No memory samples (a dyno's memory is measured where its limits are enforced by cgroups).</p>`}
${cpu.length ? svgChart({ ...base, title: 'CPU', unit: 'cores', series: cpu }) : ''}
${events.length ? svgChart({ ...base, title: 'Errors and restarts', unit: 'events', stacked: true, series: events }) : html`<p class="muted">No H/R errors or restarts in this range.</p>`}
</div></section>`;
}
