// bench/app-list: what the lists of apps and pipelines cost per item, at 100 and 1,000 apps seeded
// through the store (each with a slug and a current release, n/10 pipelines with one test run each:
// "wide" holds n/10 apps, the others 9), then served by the real server (`slipway server`, SQLite).
// GET /apps, the pipelines:info lookup (POST /filters/apps of the wide pipeline's apps), the
// dashboard's pipeline list and the wide pipeline's board: median of N after the first request.
import os from 'node:os';
import type { Kysely } from 'kysely';
import { openStore } from '../src/store/db.js';
import type { Database } from '../src/store/schema.js';
import { createApp } from '../src/store/apps.js';
import { createSlug } from '../src/store/builds.js';
import { createRelease, settleRelease } from '../src/store/releases.js';
import { createPipeline } from '../src/store/pipelines.js';
import { createCoupling } from '../src/store/couplings.js';
import { createTestRun } from '../src/store/test-runs.js';
import { startServer, TOKEN, type TestServer } from '../test/helpers/server.js';
import { tempDir } from '../test/helpers/temp.js';
import { median, growth } from './proc-stats.js';

const LEVELS = (process.env['BENCH_APP_LEVELS'] ?? '100,1000').split(',').map(Number);
const N = 20;
// Aim: listing one more app costs at most this (a few queries for the whole list, then only the JSON).
const AIM_US_PER_APP = 100;
const row = (cells: Array<string | number>) => console.log(`| ${cells.join(' | ')} |`);

/** Apps `from`..`to`-1, each with a slug and a current release; coupled to the pipelines as the header says. */
async function seed(db: Kysely<Database>, from: number, to: number, total: number, wide: string[]): Promise<void> {
  let pipeline = '';
  for (let i = from; i < to; i++) {
    const a = await createApp(db, `list-${i}`);
    const slug = await createSlug(db, { app_id: a.id, process_types: '{"web":"node server.js"}', commit: `${i}`.padStart(40, '0'), commit_description: null, buildpacks: '[]', size: 1000 + i, checksum: 'x', stack: 'heroku-24' });
    const r = await createRelease(db, { appId: a.id, slugId: slug.id, config: {}, description: 'Deploy', user: 'bench' });
    await settleRelease(db, r.id, { type: 'no-release-phase' }, null, false);
    if (i < total / 10) { wide.push(a.id); await createCoupling(db, (await db.selectFrom('pipelines').select('id').where('name', '=', 'wide').executeTakeFirstOrThrow()).id, a.id, 'production'); continue; }
    if (i % 9 === 0 || !pipeline) {
      const p = await createPipeline(db, `p-${i}`);
      await createTestRun(db, { pipelineId: p.id, commitBranch: 'main', commitSha: 'abc1234', commitMessage: 'm', sourceBlobUrl: 'http://127.0.0.1/none', sourceId: null, clearCache: false, timeoutSeconds: 60, actor: 'bench' });
      pipeline = p.id;
    }
    await createCoupling(db, pipeline, a.id, i % 9 < 4 ? 'staging' : 'production');
  }
}

async function timed(s: TestServer, method: string, url: string, accept: string, body?: unknown): Promise<{ ms: number; first: number; bytes: number }> {
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    const res = await fetch(s.url + url, { method, headers: { authorization: `Bearer ${TOKEN}`, accept, ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    bytes = (await res.arrayBuffer()).byteLength;
    times.push(performance.now() - t);
    if (res.status !== 200) throw new Error(`${method} ${url}: ${res.status}`);
  }
  return { ms: median(times.slice(1)), first: times[0]!, bytes };
}

const dir = tempDir('slipway-bench-app-list-');
const results: Array<{ apps: number; t: Record<string, number> }> = [];
let seeded = 0;
for (const n of LEVELS) {
  const store = await openStore({ dataDir: dir });
  // The wide pipeline is remade at each level so that it holds n/10 apps.
  const wide: string[] = [];
  await store.db.deleteFrom('pipeline_couplings').execute();
  await store.db.deleteFrom('test_runs').execute();
  await store.db.deleteFrom('pipelines').execute();
  await createPipeline(store.db, 'wide');
  const apps = await store.db.selectFrom('apps').select(['id', 'name']).orderBy('created_at').execute();
  for (const [i, a] of apps.entries()) if (i < n / 10) { wide.push(a.id); await createCoupling(store.db, (await store.db.selectFrom('pipelines').select('id').where('name', '=', 'wide').executeTakeFirstOrThrow()).id, a.id, 'production'); }
  await seed(store.db, seeded, n, n, wide);
  seeded = n;
  await store.close();
  const s = await startServer({}, dir);
  try {
    const t: Record<string, number> = {};
    t['GET /apps (all)'] = (await timed(s, 'GET', '/apps', 'application/vnd.heroku+json; version=3')).ms;
    t[`POST /filters/apps (the wide pipeline's n/10 apps)`] = (await timed(s, 'POST', '/filters/apps', 'application/vnd.heroku+json; version=3', { in: { id: wide } })).ms;
    t['dashboard: pipelines list (n/10 pipelines)'] = (await timed(s, 'GET', '/pipelines', 'text/html')).ms;
    t['dashboard: the wide pipeline\'s board (n/10 apps)'] = (await timed(s, 'GET', '/pipelines/wide', 'text/html')).ms;
    results.push({ apps: n, t });
  } finally { await s.stop(); }
}

console.log(`app-list: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}; median of ${N - 1} after the first\n`);
row(['request', ...results.map((r) => `${r.apps.toLocaleString('en')} apps`), 'grows', 'per item at the largest']);
row(['---', ...results.map(() => '---'), '---', '---']);
const [lo, hi] = [results[0]!, results[results.length - 1]!];
for (const k of Object.keys(lo.t)) {
  const items = k.startsWith('GET /apps') ? hi.apps : hi.apps / 10;
  row([k, ...results.map((r) => `${r.t[k]!.toFixed(1)} ms`), growth(lo.apps, lo.t[k]!, hi.apps, hi.t[k]!), `${((hi.t[k]! * 1000) / items).toFixed(0)} µs`]);
}
const perApp = (hi.t['GET /apps (all)']! * 1000) / hi.apps;
console.log(`\nGET /apps: ${perApp.toFixed(0)} µs per app listed at ${hi.apps} apps; aim ≤ ${AIM_US_PER_APP} µs: ${perApp <= AIM_US_PER_APP ? 'met' : 'not met'}`);
