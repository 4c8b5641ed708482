import { test } from 'node:test';
import assert from 'node:assert/strict';
import { label, niceMax, svgChart } from './svg-chart.js';

const times = ['2026-11-29T10:00:00.000Z', '2026-11-29T10:01:00.000Z', '2026-11-29T10:02:00.000Z'];
const to = '2026-11-29T10:03:00.000Z';

test('the axis ends on a round number', () => {
  assert.deepEqual([0, 0.3, 1, 7, 13, 480, 1001].map(niceMax), [1, 0.5, 1, 10, 20, 500, 2000]);
});

test('stacked bars carry their values; empty steps draw nothing', () => {
  const svg = svgChart({ title: 'Throughput', unit: 'requests', times, to, stacked: true, series: [{ name: '2xx', values: [3, 0, 5], color: '#0a0' }, { name: '5xx', values: [1, 0, 0], color: '#a00' }] }).value;
  const values = [...svg.matchAll(/data-series="([^"]+)" data-value="(\d+)"/g)].map((m) => `${m[1]}=${m[2]}`);
  assert.deepEqual(values, ['2xx=3', '5xx=1', '2xx=5']);
  assert.equal((svg.match(/<g data-at=/g) ?? []).length, 2);
});

test('lines break where a step has no value; markers inside the range only; text is escaped', () => {
  const svg = svgChart({ title: 'Response <time>', unit: 'ms', times, to, series: [{ name: 'p50', values: [4, null, 6], color: '#00a' }],
    markers: [{ at: '2026-11-29T10:01:30.000Z', label: 'v3 <deploy>' }, { at: '2026-11-29T09:00:00.000Z', label: 'v2' }] }).value;
  assert.equal((/ d="([^"]+)"/.exec(svg)?.[1] ?? '').match(/M/g)?.length, 2, 'two pieces around the gap');
  assert.match(svg, /data-last="6"/);
  assert.deepEqual([...svg.matchAll(/class="marker"[^>]*data-label="([^"]+)"/g)].map((m) => m[1]), ['v3 &lt;deploy&gt;']);
  assert.doesNotMatch(svg, /<time>|<deploy>/);
});

test('axis labels: thousands as k, small values keep two significant digits', () => {
  assert.deepEqual([0, 0.002, 0.05, 0.5, 1, 12.345, 1500].map(label), ['0', '0.002', '0.05', '0.5', '1', '12.35', '1.5k']);
});
