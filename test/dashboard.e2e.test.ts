// The dashboard in a real browser (Debian's Chromium driven by playwright-core) against the real
// server, with real apps built from examples/ and real CI runs started from the real CLI.
// Screenshots of the main pages go to test-results/screenshots/ (not committed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startServer, cli, api, viaRouter, REPO, TOKEN, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { latestRun, nodesOf, waitFor, waitForStatus } from './helpers/runs.js';
import { leftoverProcesses } from './helpers/processes.js';
import { needs } from './helpers/tools.js';

const P = 'shop';
const DEV = 'shop-dev';
const STG = 'shop-staging';
const SHOTS = path.join(REPO, 'test-results', 'screenshots');
const skip = needs('chromium');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

let s: TestServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let webRepo: string;
let testRepo: string;
const runIds: string[] = [];

const shot = async (name: string, p: Page = page) => { await p.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true }); };
const sessionCookie = async () => (await context.cookies()).find((c) => c.name === 'slipway_session');

before(async () => {
  if (skip) return;
  fs.mkdirSync(SHOTS, { recursive: true });
  s = await startServer({ SLIPWAY_BOOT_TIMEOUT_SECONDS: '20' });
  webRepo = exampleRepo('web-app');
  // The failing TAP suite, with a colourful, slow test-setup so the page sees the run while it goes.
  testRepo = exampleRepo('node-tap-mixed', (dir) => {
    const appJson = JSON.parse(fs.readFileSync(path.join(dir, 'app.json'), 'utf8'));
    appJson.environments.test.scripts = { 'test-setup': "printf '\\033[32mgreen setup line\\033[0m\\n'; sleep 4; echo setup done" };
    fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(appJson));
  });
  for (const args of [['pipelines:create', P], ['apps:create', DEV], ['apps:create', STG], ['pipelines:add', P, '-a', DEV, '-s', 'development'], ['pipelines:add', P, '-a', STG, '-s', 'staging']]) {
    const r = await cli(s, args);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
  }
  assert.equal((await cli(s, ['config:set', 'GREETING=hola', '-a', DEV])).code, 0);
  const b = await cli(s, ['builds:create', '-a', DEV], { cwd: webRepo });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  // v4: the same build with other config, so that v3 is there to roll back to.
  assert.equal((await cli(s, ['config:set', 'GREETING=hej', '-a', DEV])).code, 0);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
});

after(async () => {
  if (skip) return;
  await browser?.close();
  const nodeIds: string[] = [];
  for (const id of runIds) nodeIds.push(...(await nodesOf(s, id)).map((n) => n.id));
  await s?.stop();
  assert.deepEqual(await leftoverProcesses(nodeIds), [], 'no process of any test run is left');
});

test('signing in: pages send a stranger to /login, a wrong token is refused, the right one lands on the page asked for', { skip }, async () => {
  await page.goto(`${s.url}/pipelines/${P}`);
  assert.match(new URL(page.url()).pathname, /^\/login$/);
  await page.fill('#token', 'not-the-token');
  await page.click('button[type=submit]');
  assert.match(await page.textContent('.error') ?? '', /not valid/);
  await page.fill('#token', TOKEN);
  await page.click('button[type=submit]');
  await page.waitForURL(`${s.url}/pipelines/${P}`);
  const cookie = await sessionCookie();
  assert.ok(cookie, 'a session cookie is set');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Lax');
  assert.equal(cookie.path, '/');
  // API clients on the same URL still get JSON.
  const json = await api<{ name: string }>(s, 'GET', `/pipelines/${P}`);
  assert.equal(json.json.name, P);
});

test('the pipeline page: a column per stage, the development app with its release, commit and status; automation settings', { skip }, async () => {
  await page.goto(`${s.url}/pipelines/${P}`);
  for (const stage of ['review', 'development', 'qa', 'staging', 'production']) assert.equal(await page.locator(`[data-stage="${stage}"]`).count(), 1, stage);
  const dev = page.locator(`[data-stage="development"] [data-app="${DEV}"]`);
  const current = (await api<Array<{ version: number; current: boolean }>>(s, 'GET', `/apps/${DEV}/releases`)).json.find((r) => r.current)!;
  assert.equal(await dev.locator('[data-version]').textContent(), `v${current.version}`);
  assert.equal(await dev.locator('.badge').first().getAttribute('data-status'), 'succeeded');
  assert.match(await dev.locator('code').first().textContent() ?? '', /^[0-9a-f]{7}$/);
  assert.match(await page.textContent('.automation') ?? '', /Deploy branch\s*main/);
  assert.equal(await page.locator(`[data-stage="staging"] [data-app="${STG}"] button.promote`).count(), 0, 'staging is the last stage with apps: nothing to promote to');
  await shot('pipeline');
  const missing = await page.goto(`${s.url}/pipelines/no-such-pipeline`);
  assert.equal(missing?.status(), 404);
  assert.match(await page.textContent('main') ?? '', /Couldn't find a pipeline named "no-such-pipeline"[\s\S]*pipeline_not_found/, 'errors on pages are pages with the error id');
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(`${s.url}/pipelines/${P}`);
  const width = await phone.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 392, `no sideways scrolling at phone width (${width}px)`);
  await shot('pipeline-phone', phone);
  await phone.close();
});

test('a run started from the CLI shows up and is followed live on the open pages: output with colours, status, the failing diagnostic', { skip, timeout: 180_000 }, async () => {
  await page.goto(`${s.url}/pipelines/${P}/tests`);
  assert.match(await page.textContent('tbody') ?? '', /No test runs yet/);
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 42; });
  const started = await cli(s, ['ci:run', '-p', P, '--detach'], { cwd: testRepo });
  assert.equal(started.code, 0, started.stderr);
  const run = await latestRun(s, P);
  runIds.push(run.id);
  // The new run appears in the list without a reload.
  await page.locator(`tr[data-run="${run.number}"]`).waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 42, 'the list page was not reloaded');
  await page.click(`tr[data-run="${run.number}"] a`);
  await page.waitForURL(`${s.url}/pipelines/${P}/tests/${run.number}`);
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 7; });
  const summaryStatus = () => page.locator('[data-part="summary"] .badge').first().getAttribute('data-status');
  const seen = new Set<string>([(await summaryStatus())!]);
  // The setup output arrives live, with its ANSI green rendered as a span.
  const green = page.locator('pre[data-stream="setup"] span.a-fg-c2', { hasText: 'green setup line' });
  await waitFor('the coloured setup line on the page', async () => { seen.add((await summaryStatus())!); return (await green.count()) > 0; }, 60_000);
  assert.ok(!(await page.textContent('pre[data-stream="test"]'))?.includes('adds wrongly'), 'the tests have not run yet while setup goes');
  await waitFor('the failed status on the page', async () => { const st = (await summaryStatus())!; seen.add(st); return st === 'failed'; }, 120_000);
  assert.ok([...seen].some((st) => ['pending', 'creating', 'building', 'running'].includes(st)), `the page saw the run going (${[...seen].join(', ')})`);
  await page.locator('pre[data-stream="test"]', { hasText: 'not ok' }).waitFor({ timeout: 20_000 });
  assert.match(await page.textContent('pre[data-stream="setup"]') ?? '', /setup done/);
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 7, 'the run page was not reloaded');
  assert.equal((await waitForStatus(s, run.id, ['failed'])).status, 'failed');
  // Cases: failures first; the diagnostic opens.
  await page.locator('[data-part="cases"] tr.case').first().waitFor();
  assert.equal(await page.locator('[data-part="cases"] tr.case').first().getAttribute('class'), 'case failed');
  assert.match(await page.textContent('[data-part="summary"]') ?? '', /3 passed · 1 failed · 1 skipped · 1 todo/);
  const diag = page.locator('details[data-diagnostic]').first();
  assert.equal(await diag.locator('pre').isVisible(), false);
  await diag.locator('summary').click();
  assert.match(await diag.locator('pre').textContent() ?? '', /expected 2 \+ 2 to equal 5/);
  assert.equal(await page.locator('[data-part="summary"] button.danger').count(), 0, 'no Cancel button on an ended run');
  await shot('test-run');
  await page.emulateMedia({ colorScheme: 'dark' });
  await shot('test-run-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  const phone = await context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(page.url());
  assert.ok(await phone.evaluate(() => document.documentElement.scrollWidth) <= 392, 'the run page fits a phone');
  await shot('test-run-phone', phone);
  await phone.close();
  // The list, with filters, and the API's JSON at the run's permanent URL.
  await page.goto(`${s.url}/pipelines/${P}/tests?status=failed`);
  assert.equal(await page.locator('tr.run').count(), 1);
  assert.match(await page.textContent('tr.run') ?? '', /3 passed 1 failed 2 skipped/);
  await shot('tests');
  await page.goto(`${s.url}/pipelines/${P}/tests?status=succeeded&branch=main`);
  assert.equal(await page.locator('tr.run').count(), 0);
  const viaApi = await api<{ number: number; status: string }>(s, 'GET', `/pipelines/${P}/tests/${run.number}`);
  assert.deepEqual([viaApi.json.number, viaApi.json.status], [run.number, 'failed']);
});

test('re-run from the run page starts a new run, and Cancel stops it', { skip, timeout: 120_000 }, async () => {
  const first = await latestRun(s, P);
  await page.goto(`${s.url}/pipelines/${P}/tests/${first.number}`);
  await page.click('[data-part="summary"] form[action$="/rerun"] button');
  await page.waitForURL(`${s.url}/pipelines/${P}/tests/${first.number + 1}`);
  const second = await latestRun(s, P);
  runIds.push(second.id);
  assert.equal(second.number, first.number + 1);
  await page.click('[data-part="summary"] form[action$="/cancel"] button');
  await page.waitForURL(`${s.url}/pipelines/${P}/tests/${second.number}`);
  assert.equal(await page.locator('[data-part="summary"] .badge').first().getAttribute('data-status'), 'cancelled');
  assert.equal((await waitForStatus(s, second.id, ['cancelled'])).status, 'cancelled');
});

test('promote from the pipeline page: confirm, and the release appears in the next stage without reloading', { skip, timeout: 120_000 }, async () => {
  await page.goto(`${s.url}/pipelines/${P}`);
  const stgVersion = page.locator(`[data-stage="staging"] [data-app="${STG}"] [data-version]`);
  assert.equal(await stgVersion.count(), 1);
  assert.equal(await stgVersion.textContent(), 'v1');
  await page.click(`[data-app="${DEV}"] button.promote`);
  const dialog = page.locator(`dialog#promote-${DEV}`);
  assert.ok(await dialog.isVisible(), 'a confirmation opens first');
  assert.match(await dialog.textContent() ?? '', new RegExp(`${STG} in staging`));
  await dialog.locator('button[data-confirm-promote]').click();
  await page.waitForURL(new RegExp(`/pipelines/${P}\\?promoted=${DEV}`));
  await page.evaluate(() => { (window as unknown as { marker: number }).marker = 3; });
  await waitFor('the promoted release in staging', async () => (await stgVersion.textContent()) === 'v2', 60_000);
  assert.equal(await page.evaluate(() => (window as unknown as { marker?: number }).marker), 3, 'not reloaded');
  const devCommit = await page.locator(`[data-app="${DEV}"] code`).first().textContent();
  assert.equal(await page.locator(`[data-app="${STG}"] code`).first().textContent(), devCommit, 'the same build went to staging');
  const rel = (await api<Array<{ version: number; description: string; current: boolean }>>(s, 'GET', `/apps/${STG}/releases`)).json.find((r) => r.current)!;
  assert.deepEqual([rel.version, rel.description], [2, `Promote ${DEV} v4`]);
  await shot('pipeline-promoted');
});

test('the app page: releases with release-phase output, formation and dynos, hidden config vars, builds, a pausable live log', { skip, timeout: 120_000 }, async () => {
  await page.goto(`${s.url}/apps/${DEV}`);
  assert.match(await page.textContent('tr[data-release="3"]') ?? '', /succeeded/);
  await page.click('tr[data-release="3"] details summary');
  await page.locator('tr[data-release="3"] details pre', { hasText: 'migrating with GREETING=hola' }).waitFor({ timeout: 10_000 });
  assert.ok(await page.locator('tr[data-release="3"] button', { hasText: 'Roll back to v3' }).count(), 'older releases offer a rollback');
  assert.match(await page.textContent('[data-part="processes"]') ?? '', /web\.1/);
  const secret = page.locator('code.secret', { hasText: 'hej' });
  assert.equal(await secret.isVisible(), false, 'config values are hidden');
  assert.doesNotMatch(await page.content(), /hej/, 'and not in the page at all until revealed');
  await page.click('table.config button[data-reveal]');
  await secret.waitFor({ state: 'visible', timeout: 5000 });
  await page.click('table.config button[data-reveal]');
  assert.equal(await secret.count(), 0, 'hidden again, the value leaves the page');
  await page.click('[data-part="builds"] details summary');
  await page.locator('[data-part="builds"] details pre', { hasText: 'Procfile declares types' }).waitFor({ timeout: 10_000 });
  // The log follows live; paused, new lines wait; resumed, they appear.
  const log = page.locator('#applog');
  const oneOff = async (word: string) => { const r = await api(s, 'POST', `/apps/${DEV}/dynos`, { command: `echo ${word}` }); assert.equal(r.status, 201); };
  await oneOff('first-marker');
  await log.filter({ hasText: 'first-marker' }).waitFor({ timeout: 10_000 });
  await page.click('button[data-pause="applog"]');
  await oneOff('second-marker');
  await new Promise((r) => setTimeout(r, 2500));
  assert.ok(!(await log.textContent())?.includes('second-marker'), 'nothing is added while paused');
  await page.click('button[data-pause="applog"]');
  await log.filter({ hasText: 'second-marker' }).waitFor({ timeout: 10_000 });
  await shot('app');
  // Rollback from the page (with its confirmation) makes a new release.
  await page.click('tr[data-release="3"] button[data-open-dialog]');
  await page.click('dialog#rollback-3 button[type=submit]');
  await page.waitForURL(`${s.url}/apps/${DEV}`);
  await waitFor('the rollback release', async () => (await api<Array<{ description: string; status: string }>>(s, 'GET', `/apps/${DEV}/releases`)).json.find((r) => r.description === 'Rollback to v3' && r.status === 'succeeded'), 60_000);
});

test('operate from the app and pipeline pages: set a config var, scale, restart (confirmed), change automation; each takes effect', { skip, timeout: 180_000 }, async () => {
  await page.goto(`${s.url}/apps/${DEV}`);
  const settings = page.locator('#settings');
  // A config var set from the page: a new release, and the running app answers with it.
  await settings.locator('input[name="key"]').fill('GREETING');
  await settings.locator('input[name="value"]').fill('bonjour');
  await settings.locator('form[action$="/settings/config"] button').click();
  await page.waitForURL(`${s.url}/apps/${DEV}#settings`);
  await waitFor('the app to greet with the new value', async () => (await viaRouter(s, DEV)).body.startsWith('bonjour from web.'), 60_000);
  // Scale web to 2 with a size: the formation says so and two dynos answer.
  const web = settings.locator('form[data-type="web"]');
  await web.locator('input[name="quantity"]').fill('2');
  await web.locator('select[name="size"]').selectOption('standard-2x');
  await web.locator('button').click();
  await page.waitForURL(`${s.url}/apps/${DEV}#settings`);
  const formation = (await api<Array<{ type: string; quantity: number; size: string }>>(s, 'GET', `/apps/${DEV}/formation`)).json.find((f) => f.type === 'web')!;
  assert.deepEqual([formation.quantity, formation.size], [2, 'standard-2x']);
  await waitFor('web.2 to answer', async () => { const seen = new Set<string>(); for (let i = 0; i < 6; i++) seen.add((await viaRouter(s, DEV)).body.split(' ')[2] ?? ''); return seen.has('web.2'); }, 60_000);
  // Restart without typing the name: refused with the reason; typed: every dyno restarts.
  const restart = settings.locator('form[action$="/settings/restart"]');
  await restart.locator('input[name="confirm"]').evaluate((el) => { (el as HTMLInputElement).removeAttribute('required'); (el as HTMLInputElement).removeAttribute('pattern'); });
  await restart.locator('input[name="confirm"]').fill('not-the-name');
  await restart.locator('button').click();
  assert.match(await page.textContent('main') ?? '', /type the app's name \(shop-dev\)[\s\S]*confirmation_required/);
  const webDynos = async () => (await api<Array<{ name: string; type: string; created_at: string }>>(s, 'GET', `/apps/${DEV}/dynos`)).json.filter((d) => d.type === 'web');
  const before = await webDynos();
  await page.goto(`${s.url}/apps/${DEV}`);
  await restart.locator('input[name="confirm"]').fill(DEV);
  await restart.locator('button').click();
  await page.waitForURL(`${s.url}/apps/${DEV}#settings`);
  await waitFor('the dynos to be restarted', async () => {
    const now = await webDynos();
    return now.length === 2 && now.every((d) => !before.some((b) => b.name === d.name && b.created_at === d.created_at));
  }, 60_000);
  await shot('app-settings');
  // The pipeline's automation: wait for CI on, CI branches set, from the form.
  await page.goto(`${s.url}/pipelines/${P}`);
  await page.click('.automation details.edit summary');
  await page.check('.automation input[name="wait_for_ci"]');
  await page.fill('.automation input[name="ci_branches"]', 'main,release/*');
  await page.click('.automation form button[type=submit]');
  await page.waitForURL(`${s.url}/pipelines/${P}`);
  const pl = (await api<{ wait_for_ci: boolean; ci_branches: string | null }>(s, 'GET', `/pipelines/${P}`)).json;
  assert.deepEqual([pl.wait_for_ci, pl.ci_branches], [true, 'main,release/*']);
  assert.match(await page.textContent('.automation dl') ?? '', /Wait for CI before deploying\s*on/);
  // Forged: a settings form without the CSRF token changes nothing.
  const cookie = (await sessionCookie())!;
  const forged = await fetch(`${s.url}/apps/${DEV}/settings/config`, { method: 'POST', headers: { cookie: `slipway_session=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'key=GREETING&value=pwned', redirect: 'manual' });
  assert.equal(forged.status, 403);
  assert.notEqual((await api<Record<string, string>>(s, 'GET', `/apps/${DEV}/config-vars`)).json['GREETING'], 'pwned');
});

test('metrics on the app page: traffic sent through the router is plotted (count within its minute), releases are marked, memory per dyno; maintenance from the page', { skip, timeout: 150_000 }, async () => {
  type Metrics = { points: Array<{ requests: Record<string, number> }>; releases: Array<{ version: number }> };
  const total = async () => (await api<Metrics>(s, 'GET', `/apps/${DEV}/metrics?range=1h`)).json.points.reduce((n, p) => n + Object.values(p.requests).reduce((a, b) => a + b, 0), 0);
  // Settled: earlier tests' requests are all recorded (the recorder adds to the store every 5 s).
  let before = -1;
  await waitFor('the recorded traffic to settle', async () => { await new Promise((r) => setTimeout(r, 6000)); const now = await total(); const same = now === before; before = now; return same; }, 60_000);
  const sent = 37;
  for (let i = 0; i < sent; i++) assert.equal((await viaRouter(s, DEV, `/?n=${i}`)).status, 200);
  await waitFor(`${sent} more requests in the metrics`, async () => (await total()) === before + sent, 30_000);
  await page.goto(`${s.url}/apps/${DEV}?range=1h`);
  const card = page.locator('#metrics');
  assert.equal(Number(await card.getAttribute('data-requests')), before + sent, 'the page counts what the API counts');
  const plotted = await card.locator('figure', { hasText: 'Throughput' }).locator('rect').evaluateAll((rs) => rs.reduce((n, r) => n + Number(r.getAttribute('data-value')), 0));
  assert.equal(plotted, before + sent, 'the bars add up to every request');
  const current = (await api<Array<{ version: number; current: boolean }>>(s, 'GET', `/apps/${DEV}/releases`)).json.find((r) => r.current)!;
  const markers = await card.locator('figure', { hasText: 'Throughput' }).locator('line.marker').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-label')));
  assert.ok(markers.includes(`v${current.version}`), `the current release v${current.version} is marked: ${markers.join(' ')}`);
  await waitFor('memory samples of web.1', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    await page.goto(`${s.url}/apps/${DEV}?range=1h`);
    return (await card.locator('figure', { hasText: 'Memory' }).locator('path[data-series="web.1"]').count()) === 1;
  }, 30_000);
  const p95 = await card.locator('figure', { hasText: 'Response time' }).locator('path[data-series="p95"]').getAttribute('data-last');
  assert.ok(Number(p95) >= 0, `a p95 is plotted (${p95})`);
  await page.goto(`${s.url}/apps/${DEV}?range=7d`);
  assert.equal(Number(await card.getAttribute('data-requests')), before + sent, 'the week holds the same requests');
  await shot('app-metrics');
  // Maintenance on from the page (confirmed by the app's name): the router answers 503; off again: the app answers.
  await page.goto(`${s.url}/apps/${DEV}`);
  const settings = page.locator('#settings');
  await settings.locator('form[action$="/settings/maintenance"] input[name="confirm"]').fill(DEV);
  await settings.locator('form[action$="/settings/maintenance"] button').click();
  await page.waitForURL(`${s.url}/apps/${DEV}#settings`);
  await waitFor('the maintenance page', async () => (await viaRouter(s, DEV)).status === 503, 10_000);
  await settings.locator('form[action$="/settings/maintenance"] button', { hasText: 'off' }).click();
  await page.waitForURL(`${s.url}/apps/${DEV}#settings`);
  await waitFor('the app again', async () => (await viaRouter(s, DEV)).status === 200, 10_000);
});

test('CI trends: runs per day by outcome, pass rate and duration; the slowest tests with their reported times, the failing test among the flakiest', { skip, timeout: 60_000 }, async () => {
  const runs = (await api<Array<{ status: string; finished_at?: string | null; kind?: string }>>(s, 'GET', `/pipelines/${P}/test-runs?limit=100`)).json;
  const finished = runs.filter((r) => ['succeeded', 'failed', 'errored', 'cancelled'].includes(r.status)).length;
  assert.ok(finished >= 2, `runs to show: ${runs.map((r) => r.status).join(' ')}`);
  await page.goto(`${s.url}/pipelines/${P}/trends`);
  assert.equal(Number(await page.locator('.trends').getAttribute('data-runs')), finished, 'every finished run is on its day');
  const bars = await page.locator('figure', { hasText: 'Runs' }).locator('rect').evaluateAll((rs) => rs.map((r) => `${r.getAttribute('data-series')}=${r.getAttribute('data-value')}`));
  assert.ok(bars.some((b) => b.startsWith('failed=')), bars.join(' '));
  const slow = await page.locator('.slowest tbody tr td:first-child').allTextContents();
  assert.ok(['adds', 'multiplies', 'subtracts', 'adds wrongly'].every((t) => slow.includes(t)), `tests with their times: ${slow.join(', ')}`);
  const times = await page.locator('.slowest td[data-ms]').evaluateAll((tds) => tds.map((td) => Number(td.getAttribute('data-ms'))));
  assert.ok(times.every((t) => t > 0 && t < 60_000), times.join(' '));
  const flaky = await page.locator('.flakiest tbody tr').allTextContents();
  assert.ok(flaky.some((r) => r.startsWith('adds wrongly')), flaky.join(' | '));
  await shot('pipeline-trends');
});

test('connect a repository from the pipeline page: the secret is shown once and signs webhooks; disconnect is confirmed', { skip, timeout: 60_000 }, async () => {
  await page.goto(`${s.url}/pipelines/${P}`);
  await page.click('.automation details.repository summary');
  await page.fill('.repository input[name="repo"]', 'acme/shop');
  await page.click('.repository form[action$="/repository"] button[type=submit]');
  const secret = (await page.textContent('.hook-secret'))!.trim();
  assert.match(secret, /^[0-9a-f]{48}$/);
  assert.equal((await page.textContent('.hook-url'))!.trim(), `${s.url}/hooks/github`);
  assert.equal((await api<{ repository: { name: string } | null }>(s, 'GET', `/pipelines/${P}`)).json.repository?.name, 'acme/shop');
  const { createHmac } = await import('node:crypto');
  const ping = async (key: string, id: string) => {
    const body = JSON.stringify({ zen: 'hi', repository: { full_name: 'acme/shop' } });
    return fetch(`${s.url}/hooks/github`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-github-delivery': id, 'x-hub-signature-256': `sha256=${createHmac('sha256', key).update(body).digest('hex')}` } });
  };
  assert.equal((await ping('not-the-secret', 'dash-1')).status, 401, 'a wrong secret is refused');
  const ok = await ping(secret, 'dash-2');
  assert.equal(ok.status, 200, await ok.text());
  await page.goto(`${s.url}/pipelines/${P}`);
  assert.equal(await page.locator('.hook-secret').count(), 0, 'the secret is not shown again');
  await page.click('.automation details.repository summary');
  await page.fill('.repository input[name="confirm"]', P);
  await page.click('.repository form[action$="/disconnect"] button');
  await page.waitForURL(`${s.url}/pipelines/${P}`);
  assert.equal((await api<{ repository: unknown }>(s, 'GET', `/pipelines/${P}`)).json.repository, null);
});

test('a viewer sees the app and its metrics but no edit controls, and a form posted anyway is refused and changes nothing', { skip, timeout: 60_000 }, async () => {
  const email = 'viewer@example.com';
  const made = await cli(s, ['users:create', email]);
  assert.equal(made.code, 0, made.stderr);
  const password = /Password[^\n]*\n\n\s+(\S+)/.exec(made.stdout)![1]!;
  assert.equal((await cli(s, ['access:add', email, '-a', DEV, '-p', 'view'])).code, 0);
  const viewer = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  try {
    const vp = await viewer.newPage();
    await vp.goto(`${s.url}/login?next=/apps/${DEV}`);
    await vp.fill('input[name="email"]', email);
    await vp.fill('input[name="token"]', password);
    await vp.click('form button[type=submit]');
    await vp.waitForURL(`${s.url}/apps/${DEV}`);
    assert.equal(await vp.locator('#metrics').count(), 1, 'the metrics are there to read');
    for (const control of ['#settings', 'button.rollback', 'button[data-reveal]']) assert.equal(await vp.locator(control).count(), 0, `no ${control} for a viewer`);
    await shot('app-as-viewer', vp);
    await vp.goto(`${s.url}/pipelines/${P}`);
    for (const control of ['details.edit', 'button.promote']) assert.equal(await vp.locator(control).count(), 0, `no ${control} on the pipeline page for a viewer`);
    // Posted anyway, with the viewer's own session and CSRF token: refused, nothing changes.
    const cookie = (await viewer.cookies()).find((c) => c.name === 'slipway_session')!;
    await vp.goto(`${s.url}/apps/${DEV}`);
    const csrf = await vp.evaluate(() => (document.querySelector('input[name="_csrf"]') as HTMLInputElement | null)?.value ?? '');
    assert.ok(csrf, 'the sign-out form carries the token');
    const before = (await api<Record<string, string>>(s, 'GET', `/apps/${DEV}/config-vars`)).json['GREETING'];
    const forged = await fetch(`${s.url}/apps/${DEV}/settings/config`, { method: 'POST', redirect: 'manual', headers: { cookie: `slipway_session=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, key: 'GREETING', value: 'viewer-was-here' }).toString() });
    assert.equal(forged.status, 403, await forged.text());
    const scaled = await fetch(`${s.url}/apps/${DEV}/settings/scale`, { method: 'POST', redirect: 'manual', headers: { cookie: `slipway_session=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ _csrf: csrf, type: 'web', quantity: '0', confirm: DEV }).toString() });
    assert.equal(scaled.status, 403);
    assert.equal((await api<Record<string, string>>(s, 'GET', `/apps/${DEV}/config-vars`)).json['GREETING'], before);
    assert.equal((await api<Array<{ type: string; quantity: number }>>(s, 'GET', `/apps/${DEV}/formation`)).json.find((f) => f.type === 'web')!.quantity, 2);
  } finally { await viewer.close(); }
});

test('forms need the CSRF token; signing out revokes the session even for a copied cookie', { skip }, async () => {
  const cookie = (await sessionCookie())!;
  const headers = { cookie: `slipway_session=${cookie.value}`, 'content-type': 'application/x-www-form-urlencoded' };
  const forged = await fetch(`${s.url}/pipelines/${P}/promote`, { method: 'POST', headers, body: `app=${DEV}`, redirect: 'manual' });
  assert.equal(forged.status, 403);
  assert.match(await forged.text(), /csrf_failed/, 'the error page names the CSRF check');
  const live = await fetch(`${s.url}/pipelines/${P}/state`, { headers: { cookie: headers.cookie } });
  assert.equal(live.status, 200, 'the copied cookie works while signed in');
  await page.goto(`${s.url}/pipelines`);
  await page.click('header form[action="/logout"] button');
  await page.waitForURL(/\/login$/);
  assert.equal(await sessionCookie(), undefined, 'the cookie is cleared');
  await page.goto(`${s.url}/pipelines/${P}`);
  assert.match(new URL(page.url()).pathname, /^\/login$/, 'pages send the signed-out browser to /login');
  const replay = await fetch(`${s.url}/pipelines/${P}/state`, { headers: { cookie: headers.cookie } });
  assert.equal(replay.status, 401, 'the old cookie is refused after sign-out');
  const stream = await fetch(`${s.url}/apps/${DEV}/log/live`, { headers: { cookie: headers.cookie } });
  assert.equal(stream.status, 401, 'live streams too');
  const pageReplay = await fetch(`${s.url}/apps/${DEV}`, { headers: { cookie: headers.cookie, accept: 'text/html' }, redirect: 'manual' });
  assert.equal(pageReplay.status, 303);
});
