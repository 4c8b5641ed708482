// bench/dashboard: the dashboard's pages with thousands of runs and a 50 MB run output, and an app
// with 7 days of metrics. Seeds a temp data dir through the store (10,000 runs with 10 test cases
// each, one run with 50 MB of test output; an app with a week of per-minute router and dyno metrics
// and 21 releases), starts the real server on it, and times the pages (median of N requests) and
// the bytes sent, next to reading that output whole through the API's output stream.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/db.js';
import { createPipeline } from '../src/store/pipelines.js';
import { createApp } from '../src/store/apps.js';
import { createRelease } from '../src/store/releases.js';
import { addDynoMinutes, addEventMinutes, addRouterMinutes } from '../src/store/metrics.js';
import { minuteOf, RETENTION_MINUTES } from '../src/metrics/recorder.js';
import { logKey } from '../src/ci/node-events.js';
import { startServer, TOKEN } from '../test/helpers/server.js';
import { seedRuns } from './seed-runs.js';

const RUNS = Number(process.env['BENCH_RUNS'] ?? 10_000);
const CASES = 10;
const OUTPUT_MB = Number(process.env['BENCH_OUTPUT_MB'] ?? 50);
const N = Number(process.env['BENCH_REQUESTS'] ?? 30);
const P = 'bench';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-dashboard-'));
const store = await openStore({ dataDir: dir });
const pipeline = await createPipeline(store.db, P);
const t0 = Date.now() - RUNS * 60_000;
const seedStart = Date.now();
const bigRun = await seedRuns(store.db, { pipelineId: pipeline.id, from: 1, to: RUNS, cases: CASES, t0 });
// An app serving traffic every minute of the last 7 days on two web dynos, released 21 times.
const APP = 'bench-app';
const benchApp = await createApp(store.db, APP);
const lastMinute = minuteOf(Date.now());
await store.db.transaction().execute(async (trx) => {
  const router = [];
  const dynos = [];
  const events = [];
  for (let m = lastMinute - RETENTION_MINUTES + 1; m <= lastMinute; m++) {
    const load = 600 + Math.round(400 * Math.sin(m / 180));
    router.push({ app_id: benchApp.id, minute: m, s2: load, s3: 12, s4: 30, s5: m % 97 === 0 ? 9 : 0, ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`h${i}`, i < 10 ? Math.round(load / (1 + Math.abs(i - 4))) : 0])) } as Parameters<typeof addRouterMinutes>[1][number]);
    for (const d of ['web.1', 'web.2']) dynos.push({ app_id: benchApp.id, minute: m, dyno: d, memory_max_mb: 180 + (m % 60), memory_sum_mb: 30 * (170 + (m % 60)), samples: 30, cpu_ms: 9000 + (m % 17) * 100 });
    if (m % 97 === 0) events.push({ app_id: benchApp.id, minute: m, code: 'H12', count: 3 });
  }
  await addRouterMinutes(trx, router);
  await addDynoMinutes(trx, dynos);
  await addEventMinutes(trx, events);
});
for (let v = 1; v <= 21; v++) await createRelease(store.db, { appId: benchApp.id, slugId: null, config: {}, description: `Deploy ${v}` });
// Spread the releases over the week.
for (const r of await store.db.selectFrom('releases').select(['id', 'version']).where('app_id', '=', benchApp.id).execute()) {
  await store.db.updateTable('releases').set({ created_at: new Date((lastMinute - RETENTION_MINUTES + r.version * 470) * 60_000).toISOString() }).where('id', '=', r.id).execute();
}
await store.close();
// The newest run's test output: OUTPUT_MB of TAP-like lines with colour.
const logFile = path.join(dir, 'logs', logKey(bigRun, 0, 'test') + '.log');
fs.mkdirSync(path.dirname(logFile), { recursive: true });
const fd = fs.openSync(logFile, 'w');
const block = Array.from({ length: 1000 }, (_, i) => `\x1b[32mok ${i}\x1b[0m - a test with a reasonably long description number ${i} ${'.'.repeat(20)}\n`).join('');
for (let written = 0; written < OUTPUT_MB * 1024 * 1024; written += block.length) fs.writeSync(fd, block);
fs.closeSync(fd);
const seedSeconds = (Date.now() - seedStart) / 1000;

const server = await startServer({}, dir);
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };
async function time(label: string, url: string, accept: string, n = N): Promise<{ label: string; ms: number; bytes: number; status: number }> {
  const times: number[] = [];
  let bytes = 0;
  let status = 0;
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    const res = await fetch(server.url + url, { headers: { authorization: `Bearer ${TOKEN}`, accept } });
    const body = Buffer.from(await res.arrayBuffer());
    times.push(performance.now() - start);
    bytes = body.length;
    status = res.status;
  }
  return { label, ms: median(times), bytes, status };
}

try {
  const html = 'text/html';
  const rows = [
    await time(`tests list, first page (50 of ${RUNS.toLocaleString('en')})`, `/pipelines/${P}/tests`, html),
    await time('tests list, page 60 (keyset before=2000)', `/pipelines/${P}/tests?before=2000`, html),
    await time('tests list, status=failed', `/pipelines/${P}/tests?status=failed`, html),
    await time('tests list, live refresh (JSON parts)', `/pipelines/${P}/tests/state`, 'application/json'),
    await time(`run page with a ${OUTPUT_MB} MB output (tail)`, `/pipelines/${P}/tests/${RUNS}`, html),
    await time('"load earlier" (256 KB window)', `/pipelines/${P}/tests/${RUNS}/nodes/0/test/earlier?before=${20 * 1024 * 1024}`, 'application/json'),
    await time('pipeline page', `/pipelines/${P}`, html),
    await time(`pipeline Trends tab (30 days, slowest and flakiest of the last 100 runs)`, `/pipelines/${P}/trends`, html),
    await time('app page, metrics over 1 h', `/apps/${APP}?range=1h`, html),
    await time('app page, metrics over 24 h', `/apps/${APP}?range=24h`, html),
    await time('app page, metrics over 7 d (10,080 minutes, 2 dynos)', `/apps/${APP}?range=7d`, html),
    await time('metrics API, 7 d (JSON)', `/apps/${APP}/metrics?range=7d`, 'application/json'),
    await time('the stylesheet every page loads (cached after the first)', '/assets/dashboard.css', 'text/css'),
    await time('the script every page loads (cached after the first)', '/assets/dashboard.js', '*/*'),
    await time(`for scale: the whole ${OUTPUT_MB} MB output via the API stream`, `/test-runs/${bigRun}/test-nodes/0/output`, '*/*', 5),
  ];
  console.log(`seeded ${RUNS} runs, ${RUNS * CASES} test cases and a ${OUTPUT_MB} MB output in ${seedSeconds.toFixed(1)} s; ${os.cpus().length} × ${os.cpus()[0]?.model}, ${Math.round(os.totalmem() / 2 ** 30)} GB`);
  console.log('| request | median | bytes sent | status |\n| --- | --- | --- | --- |');
  for (const r of rows) console.log(`| ${r.label} | ${r.ms.toFixed(1)} ms | ${(r.bytes / 1024).toFixed(0)} KB | ${r.status} |`);
  const bad = rows.filter((r) => r.status !== 200);
  if (bad.length) { console.error(`not 200: ${bad.map((r) => r.label).join(', ')}`); process.exitCode = 1; }
} finally {
  await server.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
