// bench/scale: what Slipway costs as its work grows, measured from outside as an operator would.
// (1) The idle server (`slipway server` on the embedded defaults) and its companions: RSS right
// after start and once idle, against the same server with V8's own heap sizing
// (SLIPWAY_SERVER_HEAP=speed), three rounds, and the first requests after start. (2) The server's RSS and
// CPU with 0, ~100 and 1,000 apps made through the API (the first with one web dyno each, as many as
// the host admits up to 100: one build promoted through a pipeline; the others without dynos), the
// memory of an idle dyno, the API's app list and the dashboard, and the time for the router to
// pick up a change with 1,000 apps. (3) Runs: the API's run list and the dashboard at 1,000 runs /
// 100,000 test cases and at 10,000 runs / 1,000,000 test cases, seeded through the store (the
// requests go to the real server).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../src/store/db.js';
import { createPipeline } from '../src/store/pipelines.js';
import { startServer, cli, api, viaRouter, TOKEN, type TestServer } from '../test/helpers/server.js';
import { companions } from '../test/helpers/companions.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { waitFor } from '../test/helpers/runs.js';
import { memoryOf, cpuShareOver, descendants, median, growth, type Memory } from './proc-stats.js';
import { seedRuns } from './seed-runs.js';

// The local agent admits as many standard-1x dynos (512 MB quota each) as the host's memory holds; one
// quota is left for the release phase each promotion runs.
const DYNO_APPS = Number(process.env['BENCH_DYNO_APPS'] ?? Math.min(100, Math.floor(os.totalmem() / 2 ** 20 / 512) - 2));
const APPS = Number(process.env['BENCH_APPS'] ?? 1000);
const RUNS = Number(process.env['BENCH_RUNS'] ?? 10_000);
const CASES = Number(process.env['BENCH_CASES'] ?? 100);
// V8 gives back the memory of the start-up burst once the process has been idle a while (its memory reducer: about 30 s here).
const SETTLE_MS = Number(process.env['BENCH_SETTLE_S'] ?? 45) * 1000;
const N = 20;
const AIM_IDLE_MB = 80;
const mb = (x: number) => `${x.toFixed(1)} MB`;
const row = (cells: Array<string | number>) => console.log(`| ${cells.join(' | ')} |`);

/** Median time to the last byte of `n` GETs (the first one's time apart: `first`). */
async function timed(s: TestServer, url: string, accept = 'application/json', n = N): Promise<{ ms: number; first: number; status: number }> {
  const times: number[] = [];
  let status = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    const res = await fetch(s.url + url, { headers: { authorization: `Bearer ${TOKEN}`, accept } });
    await res.arrayBuffer();
    times.push(performance.now() - t);
    status = res.status;
  }
  if (status !== 200) throw new Error(`GET ${url}: ${status}`);
  return { ms: median(times.slice(1)), first: times[0]!, status };
}

/** Poll `ok` every 2 ms (a change's pickup is timed to the request that first sees it), 30 s at most. */
async function until(ok: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error('the router did not pick up the change within 30 s');
    await new Promise((r) => setTimeout(r, 2));
  }
}

interface Idle { server: Memory; router?: Memory; agent?: Memory; cpu: number }
/** The server and its companions once idle for SETTLE_MS since `since`; the server's CPU over the last 15 s of it. */
async function idle(s: TestServer, since: number): Promise<Idle> {
  await new Promise((r) => setTimeout(r, Math.max(0, since + SETTLE_MS - 15_000 - Date.now())));
  const cpu = await cpuShareOver(s.proc.pid!, 15_000);
  const c = companions(s.dataDir);
  return { server: memoryOf(s.proc.pid!), router: c['router']?.[0] ? memoryOf(c['router'][0]) : undefined, agent: c['agent']?.[0] ? memoryOf(c['agent'][0]) : undefined, cpu };
}

// (1) The idle server with its heap sized for memory (the default, SLIPWAY_SERVER_HEAP=small) and by
// V8's own defaults (=speed, as before), side by side in each of ROUNDS_IDLE rounds.
async function idleServer(env: Record<string, string>): Promise<{ atStart: Memory; settled: Idle; firstApi: number; firstPage: number; warmApi: number; warmPage: number; startMs: number; gcMs?: number }> {
  const t = Date.now();
  const s = await startServer(env);
  try {
    const startMs = Date.now() - t;
    const atStart = memoryOf(s.proc.pid!);
    const settled = await idle(s, Date.now());
    const apiT = await timed(s, '/apps');
    const pageT = await timed(s, '/pipelines', 'text/html');
    const gc = /start-up garbage dropped in (\d+) ms/.exec(s.output());
    return { atStart, settled, firstApi: apiT.first, firstPage: pageT.first, warmApi: apiT.ms, warmPage: pageT.ms, startMs, gcMs: gc ? Number(gc[1]) : undefined };
  } finally { await s.stop(); }
}
const ROUNDS_IDLE = 3;
const idleRuns: Array<{ speed: Awaited<ReturnType<typeof idleServer>>; small: Awaited<ReturnType<typeof idleServer>> }> = [];
for (let r = 0; r < ROUNDS_IDLE; r++) {
  // Side by side (memory does not depend on the load), the first to start alternating.
  const [a, b] = await Promise.all(r % 2 ? [idleServer({}), idleServer({ SLIPWAY_SERVER_HEAP: 'speed' })] : [idleServer({ SLIPWAY_SERVER_HEAP: 'speed' }), idleServer({})]);
  idleRuns.push(r % 2 ? { small: a, speed: b } : { speed: a, small: b });
}
console.log(`scale: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GB, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)} at the end of (1)`);
console.log('\n(1) the idle server (`slipway server`, embedded defaults, SQLite, no apps), two side by side in each round\n');
row(['', 'RSS right after start', `RSS idle (${SETTLE_MS / 1000} s)`, 'of it its own (anon)', 'PSS idle', 'start', 'first GET /apps', 'first dashboard page', 'warm /apps, page (median)']);
row(['---', '---', '---', '---', '---', '---', '---', '---', '---']);
for (const [i, run] of idleRuns.entries()) {
  for (const [label, r] of [['SLIPWAY_SERVER_HEAP=speed (V8\'s sizing, as before)', run.speed], [`small (the default)${run.small.gcMs !== undefined ? `, start-up garbage dropped in ${run.small.gcMs} ms` : ''}`, run.small]] as const) {
    row([`round ${i + 1}: ${label}`, mb(r.atStart.rss), `**${mb(r.settled.server.rss)}**`, mb(r.settled.server.anon), mb(r.settled.server.pss), `${(r.startMs / 1000).toFixed(1)} s`, `${r.firstApi.toFixed(1)} ms`, `${r.firstPage.toFixed(1)} ms`, `${r.warmApi.toFixed(1)}, ${r.warmPage.toFixed(1)} ms`]);
  }
}
const smallRss = median(idleRuns.map((x) => x.small.settled.server.rss));
const speedRss = median(idleRuns.map((x) => x.speed.settled.server.rss));
const { router, agent } = idleRuns[0]!.small.settled;
console.log(`\ncompanions, idle: router ${mb(router?.rss ?? NaN)} RSS (${mb(router?.pss ?? NaN)} PSS), local agent ${mb(agent?.rss ?? NaN)} RSS (${mb(agent?.pss ?? NaN)} PSS); a bare \`node\` holds about 40 MB RSS`);
console.log(`idle server RSS ${mb(smallRss)}, median of ${ROUNDS_IDLE} (${(smallRss / speedRss).toFixed(2)}× V8's sizing: ${mb(speedRss)}); aim ≤ ${AIM_IDLE_MB} MB: ${smallRss <= AIM_IDLE_MB ? 'met' : 'not met'}`);

// (2) Apps.
const s = await startServer({});
const levels: Array<{ apps: number; idle: Idle; list: number; page: number; create?: number }> = [];
const pickup: number[] = [];
const maintenance: number[] = [];
let dynoMem: { rss: number; pss: number; procs: number; dynos: number } | undefined;
try {
  const measure = async (apps: number, since: number, create?: number) => {
    const i = await idle(s, since);
    levels.push({ apps, idle: i, list: (await timed(s, '/apps')).ms, page: (await timed(s, '/pipelines/scale', 'text/html')).ms, create });
  };
  await api(s, 'POST', '/pipelines', { name: 'scale' });
  await measure(0, Date.now());
  // One build, promoted to the other apps of the pipeline: each gets a release of the slug and a web dyno.
  await cli(s, ['apps:create', 'scale-0']);
  await api(s, 'POST', '/pipeline-couplings', { pipeline: 'scale', app: 'scale-0', stage: 'staging' });
  const b = await cli(s, ['builds:create', '-a', 'scale-0'], { cwd: exampleRepo('web-app'), timeoutMs: 300_000 });
  if (b.code !== 0) throw new Error(b.stdout + b.stderr);
  const creates: number[] = [];
  const createApp = async (name: string) => { const t = performance.now(); const r = await api(s, 'POST', '/apps', { name }); creates.push(performance.now() - t); if (r.status !== 201) throw new Error(`creating ${name}: ${r.status}`); };
  for (let i = 1; i < DYNO_APPS; i++) {
    await createApp(`scale-${i}`);
    await api(s, 'POST', '/pipeline-couplings', { pipeline: 'scale', app: `scale-${i}`, stage: 'production' });
  }
  const p = await api<{ id: string }>(s, 'POST', '/pipeline-promotions', { pipeline: 'scale', source: { app: 'scale-0' } });
  const targets = await waitFor('promotion done', async () => {
    const t = (await api<Array<{ status: string; app: { name: string }; error_message: string | null }>>(s, 'GET', `/pipeline-promotions/${p.json.id}/promotion-targets`)).json;
    return t.every((x) => x.status !== 'pending') && t;
  }, 900_000);
  const failed = targets.filter((t) => t.status !== 'succeeded');
  if (failed.length) throw new Error(`promotion failed for ${failed.length} apps: ${failed.slice(0, 3).map((t) => `${t.app.name}: ${t.error_message}`).join('; ')}\n${s.output().slice(-3000)}`);
  // The agent boots the new dynos one after another: all of them within 15 minutes.
  const waiting = new Set(Array.from({ length: DYNO_APPS }, (_, i) => `scale-${i}`));
  await waitFor(`${waiting.size} apps answering`, async () => {
    for (const a of [...waiting]) if ((await viaRouter(s, a).catch(() => ({ status: 0 }))).status === 200) waiting.delete(a);
    return waiting.size === 0;
  }, 900_000).catch((e: Error) => { throw new Error(`${e.message}: ${[...waiting].slice(0, 5).join(', ')} still not\n${s.output().slice(-3000)}`); });
  await measure(DYNO_APPS, Date.now(), median(creates));
  // The memory of the idle dynos: every process the local agent runs with DYNO=web.* in its environment.
  const agent = companions(s.dataDir)['agent']?.[0];
  const procs = agent ? descendants(agent).filter((d) => d.env.some((v) => v.startsWith('DYNO=web.'))) : [];
  const mems = procs.map((d) => { try { return memoryOf(d.pid); } catch { return undefined; } }).filter((m): m is Memory => !!m);
  dynoMem = { rss: mems.reduce((a, m) => a + m.rss, 0), pss: mems.reduce((a, m) => a + m.pss, 0), procs: mems.length, dynos: DYNO_APPS };
  creates.length = 0;
  for (let i = DYNO_APPS; i < APPS; i++) await createApp(`scale-x-${i}`);
  await measure(APPS, Date.now(), median(creates));
  // The router picks up a change with APPS apps: a new app (answers 503 H14 instead of 404 once known), maintenance on and off.
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await createApp(`scale-new-${i}`);
    await until(async () => (await viaRouter(s, `scale-new-${i}`)).status !== 404);
    pickup.push(performance.now() - t);
    for (const [on, want] of [[true, 503], [false, 200]] as const) {
      const t2 = performance.now();
      await api(s, 'PATCH', '/apps/scale-1', { maintenance: on });
      await until(async () => (await viaRouter(s, 'scale-1')).status === want);
      maintenance.push(performance.now() - t2);
    }
  }
} finally {
  await s.stop();
}
console.log(`\n(2) apps (the first ${DYNO_APPS} with one standard-1x web dyno of examples/web-app each, as many as the local agent admits in ${Math.round(os.totalmem() / 2 ** 30)} GB; the rest without dynos; Node router)\n`);
row(['apps', 'server RSS idle', 'server CPU idle', 'router RSS', 'agent RSS', 'GET /apps (all)', 'dashboard pipeline page', 'POST /apps']);
row(['---', '---', '---', '---', '---', '---', '---', '---']);
for (const l of levels) row([l.apps, mb(l.idle.server.rss), `${(l.idle.cpu * 100).toFixed(1)}%`, mb(l.idle.router?.rss ?? NaN), mb(l.idle.agent?.rss ?? NaN), `${l.list.toFixed(1)} ms`, `${l.page.toFixed(1)} ms`, l.create ? `${l.create.toFixed(1)} ms` : '—']);
const [l0, l1, l2] = levels as [typeof levels[0], typeof levels[0], typeof levels[0]];
const perApp = (a: typeof l0, b: typeof l0, f: (l: typeof l0) => number) => ((f(b) - f(a)) * 1024) / (b.apps - a.apps);
console.log(`\nserver RSS per app: ${perApp(l0, l1, (l) => l.idle.server.rss).toFixed(1)} KB (0→${l1.apps}, with dynos), ${perApp(l1, l2, (l) => l.idle.server.rss).toFixed(1)} KB (${l1.apps}→${l2.apps}, without)`);
console.log(`server CPU idle: ${(l0.idle.cpu * 100).toFixed(1)}% → ${(l1.idle.cpu * 100).toFixed(1)}% → ${(l2.idle.cpu * 100).toFixed(1)}%; ${l1.apps}→${l2.apps} apps: ${growth(l1.apps, l1.idle.cpu, l2.apps, l2.idle.cpu)}`);
console.log(`GET /apps ${l1.apps}→${l2.apps} apps: ${growth(l1.apps, l1.list, l2.apps, l2.list)}, ${((l2.list * 1000) / l2.apps).toFixed(0)} µs per app listed`);
if (dynoMem) console.log(`an idle dyno (examples/web-app, node): ${mb(dynoMem.rss / dynoMem.dynos)} RSS, ${mb(dynoMem.pss / dynoMem.dynos)} PSS (${dynoMem.procs} processes for ${dynoMem.dynos} dynos)`);
console.log(`router picks up a change with ${l2.apps} apps: a new app routed ${median(pickup).toFixed(0)} ms after POST /apps (max ${Math.max(...pickup).toFixed(0)}); maintenance on/off served ${median(maintenance).toFixed(0)} ms after PATCH (max ${Math.max(...maintenance).toFixed(0)})`);

// (3) Runs and test cases.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-scale-'));
const runLevels: Array<{ runs: number; cases: number; seedS: number; t: Record<string, number>; rss: number }> = [];
try {
  const t0 = Date.now() - RUNS * 60_000;
  let from = 1;
  for (const runs of [RUNS / 10, RUNS]) {
    const store = await openStore({ dataDir: dir });
    const pipeline = from === 1 ? await createPipeline(store.db, 'runs') : await store.db.selectFrom('pipelines').select('id').where('name', '=', 'runs').executeTakeFirstOrThrow();
    const seedStart = Date.now();
    const last = await seedRuns(store.db, { pipelineId: pipeline.id, from, to: runs, cases: CASES, t0 });
    const seedS = (Date.now() - seedStart) / 1000;
    await store.close();
    from = runs + 1;
    const srv = await startServer({}, dir);
    try {
      const t: Record<string, number> = {};
      t['GET /pipelines/runs/test-runs (API list, 50)'] = (await timed(srv, '/pipelines/runs/test-runs?limit=50')).ms;
      t['GET /test-runs/{newest}/test-cases'] = (await timed(srv, `/test-runs/${last}/test-cases`)).ms;
      t['dashboard: tests list'] = (await timed(srv, '/pipelines/runs/tests', 'text/html')).ms;
      t['dashboard: newest run page'] = (await timed(srv, `/pipelines/runs/tests/${runs}`, 'text/html')).ms;
      t['dashboard: Trends tab'] = (await timed(srv, '/pipelines/runs/trends', 'text/html')).ms;
      runLevels.push({ runs, cases: runs * CASES, seedS, t, rss: memoryOf(srv.proc.pid!).rss });
    } finally { await srv.stop(); }
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
const [r1, r2] = runLevels as [typeof runLevels[0], typeof runLevels[0]];
console.log(`\n(3) runs (${CASES} test cases each, seeded through the store in ${r1.seedS.toFixed(0)} s + ${r2.seedS.toFixed(0)} s), median of ${N - 1} after the first\n`);
row(['request', `${r1.runs.toLocaleString('en')} runs / ${r1.cases.toLocaleString('en')} cases`, `${r2.runs.toLocaleString('en')} runs / ${r2.cases.toLocaleString('en')} cases`, 'grows']);
row(['---', '---', '---', '---']);
for (const k of Object.keys(r1.t)) row([k, `${r1.t[k]!.toFixed(1)} ms`, `${r2.t[k]!.toFixed(1)} ms`, growth(r1.cases, r1.t[k]!, r2.cases, r2.t[k]!)]);
row(['server RSS after these requests', mb(r1.rss), mb(r2.rss), growth(r1.cases, r1.rss, r2.cases, r2.rss)]);
