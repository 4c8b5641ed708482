// A plot as inline SVG, drawn on the server: no charting library and no script, a few kilobytes per
// chart. Lines (with gaps where a step has no value) or stacked bars, vertical markers for
// releases, and the values in data attributes and titles so a reader (or a test) can check them.
import { html, raw, escapeHtml, type Html } from './html.js';

export interface ChartSeries { name: string; values: Array<number | null>; color: string }
export interface ChartMarker { at: string; label: string }

export interface ChartOptions {
  title: string;
  unit: string;
  /** The start of each step (ISO), one per value. */
  times: string[];
  /** The end of the last step (ISO). */
  to: string;
  series: ChartSeries[];
  stacked?: boolean;
  /** A fixed top of the axis (e.g. 100 for a percentage); else the data's, rounded up. */
  yMax?: number;
  markers?: ChartMarker[];
  width?: number;
  height?: number;
}

const W = 640;
const H = 150;
const PAD = { left: 44, right: 8, top: 8, bottom: 18 };

/** The smallest of 1, 2, 5 × 10^k at or above v (an axis that ends on a round number). */
export function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 5, 10].map((m) => m * p).find((x) => x >= v)!;
}

/** An axis value: 1.2k, 15, 0.25, 0.002 (small ones keep two significant digits, so a top tick is never 0). */
export const label = (v: number): string => (v >= 1000 ? `${Math.round(v / 100) / 10}k` : v >= 1 || v === 0 ? String(Math.round(v * 100) / 100) : String(Number(v.toPrecision(2))));
const clock = (iso: string): string => iso.slice(5, 16).replace('T', ' ');

export function svgChart(o: ChartOptions): Html {
  const width = o.width ?? W;
  const height = o.height ?? H;
  const n = o.times.length;
  const from = Date.parse(o.times[0] ?? o.to);
  const span = Math.max(1, Date.parse(o.to) - from);
  const plotW = width - PAD.left - PAD.right;
  const plotH = height - PAD.top - PAD.bottom;
  const stepW = plotW / Math.max(1, n);
  const totals = o.times.map((_, i) => (o.stacked
    ? o.series.reduce((a, s) => a + (s.values[i] ?? 0), 0)
    : Math.max(0, ...o.series.map((s) => s.values[i] ?? 0))));
  const max = o.yMax ?? niceMax(Math.max(0, ...totals));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;
  const xAt = (ms: number) => PAD.left + ((ms - from) / span) * plotW;
  const parts: string[] = [];
  parts.push(`<line class="axis" x1="${PAD.left}" y1="${y(0)}" x2="${width - PAD.right}" y2="${y(0)}"/>`, `<line class="grid" x1="${PAD.left}" y1="${y(max)}" x2="${width - PAD.right}" y2="${y(max)}"/>`);
  parts.push(`<text class="tick" x="${PAD.left - 4}" y="${y(max) + 4}" text-anchor="end">${escapeHtml(label(max))}</text>`, `<text class="tick" x="${PAD.left - 4}" y="${y(0)}" text-anchor="end">0</text>`);
  parts.push(`<text class="tick" x="${PAD.left}" y="${height - 4}">${escapeHtml(clock(o.times[0] ?? o.to))}</text>`, `<text class="tick" x="${width - PAD.right}" y="${height - 4}" text-anchor="end">${escapeHtml(clock(o.to))}</text>`);
  if (o.stacked) {
    o.times.forEach((t, i) => {
      let base = 0;
      const rects = o.series.map((s) => {
        const v = s.values[i] ?? 0;
        if (!v) return '';
        const r = `<rect x="${(PAD.left + i * stepW).toFixed(1)}" y="${y(base + v).toFixed(1)}" width="${Math.max(0.5, stepW - 0.5).toFixed(1)}" height="${(y(base) - y(base + v)).toFixed(1)}" fill="${s.color}" data-series="${escapeHtml(s.name)}" data-value="${v}"><title>${escapeHtml(`${clock(t)} ${s.name}: ${v} ${o.unit}`)}</title></rect>`;
        base += v;
        return r;
      }).join('');
      if (rects) parts.push(`<g data-at="${escapeHtml(t)}">${rects}</g>`);
    });
  } else {
    for (const s of o.series) {
      let d = '';
      let pen = false;
      const dots: string[] = [];
      s.values.forEach((v, i) => {
        if (v === null) { pen = false; return; }
        const [px, py] = [(PAD.left + (i + 0.5) * stepW).toFixed(1), y(v).toFixed(1)];
        d += `${pen ? 'L' : 'M'}${px} ${py}`;
        // A value with no neighbour draws no line: it gets a dot.
        if (!pen && (s.values[i + 1] ?? null) === null) dots.push(`<circle cx="${px}" cy="${py}" r="2" fill="${s.color}"/>`);
        pen = true;
      });
      parts.push(...dots);
      const last = [...s.values].reverse().find((v) => v !== null);
      if (d) parts.push(`<path d="${d}" stroke="${s.color}" fill="none" stroke-width="1.5" data-series="${escapeHtml(s.name)}"${last !== undefined ? ` data-last="${last}"` : ''}><title>${escapeHtml(s.name)}</title></path>`);
    }
  }
  for (const m of o.markers ?? []) {
    const at = Date.parse(m.at);
    if (!(at >= from && at <= from + span)) continue;
    const x = xAt(at).toFixed(1);
    parts.push(`<line class="marker" x1="${x}" y1="${PAD.top}" x2="${x}" y2="${y(0)}" data-label="${escapeHtml(m.label)}"><title>${escapeHtml(`${m.label} ${clock(m.at)}`)}</title></line>`);
  }
  const legend = o.series.map((s) => html`<span><i style="background:${s.color}"></i>${s.name}</span>`);
  return html`<figure class="chart"><figcaption>${o.title} <span class="muted">(${o.unit})</span> <span class="legend">${legend}</span></figcaption>
<svg viewBox="0 0 ${width} ${height}" role="img" aria-label="${o.title}">${raw(parts.join(''))}</svg></figure>`;
}
