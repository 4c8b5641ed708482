// Browser (UAT) tests in Slipway test runs: the heroku/google-chrome buildpack, playwright-core and
// the host's headless Chromium inside the sandbox, passing and failing; and the buildpack on its own.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, cli, api, REPO, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { latestRun, nodesOf, casesOf } from './helpers/runs.js';
import { leftoverProcesses } from './helpers/processes.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

const skip = needs('chromium');
const P = 'uat';
// The first run installs playwright-core from the registry; later ones restore it from the cache.
const RUN_TIMEOUT = 600_000;
const BUILDPACK = path.join(REPO, 'buildpacks/google-chrome');
let s: TestServer | undefined;

before(async () => {
  if (skip) return;
  s = await startServer();
  const r = await cli(s, ['pipelines:create', P]);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  if (!s) return;
  const ids = (await api<{ id: string }[]>(s, 'GET', `/pipelines/${P}/test-runs?limit=100`)).json.map((r) => r.id);
  const nodeIds: string[] = [];
  for (const id of ids) nodeIds.push(...(await nodesOf(s, id)).map((n) => n.id));
  await s.stop();
  assert.deepEqual(await leftoverProcesses(nodeIds), [], 'no browser or other process of a test run is left');
  assert.deepEqual(fs.readdirSync(path.join(s.dataDir, 'workspaces')), [], 'every workspace was removed');
});

const ciRun = (example: string) => cli(s!, ['ci:run', '-p', P], { cwd: exampleRepo(example), timeoutMs: RUN_TIMEOUT - 10_000 });

test('uat-browser: playwright-core clicks through the app in headless Chromium → succeeded, 2 passed', { skip, timeout: RUN_TIMEOUT }, async () => {
  const r = await ciRun('uat-browser');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /-----> Google Chrome: using the host's Chromium\n {7}Chromium \d+\.\d+[^\n]* at \/\S+/, 'the buildpack ran and printed the version');
  assert.match(r.stdout, /succeeded: 2 passed, 0 failed/);
  const run = await latestRun(s!, P);
  assert.equal(run.status, 'succeeded');
  assert.equal(run.counts['passed'], 2);
  assert.equal(run.counts['failed'], 0);
  const cases = await casesOf(s!, run.id);
  assert.deepEqual(cases.map((c) => `${c.status} ${c.description}`).sort(),
    ['passed clicking the button says thanks', 'passed page shows the greeting']);
});

test('uat-browser-failing: the wrong text after the click → failed, 1 passed 1 failed, expected and actual in the diagnostic', { skip, timeout: RUN_TIMEOUT }, async () => {
  const r = await ciRun('uat-browser-failing');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /failed: 1 passed, 1 failed/);
  const run = await latestRun(s!, P);
  assert.equal(run.status, 'failed');
  assert.equal(run.counts['passed'], 1);
  assert.equal(run.counts['failed'], 1);
  const cases = await casesOf(s!, run.id);
  assert.equal(cases.find((c) => c.description === 'page shows the greeting')?.status, 'passed');
  const failed = cases.find((c) => c.status === 'failed');
  assert.ok(failed, JSON.stringify(cases));
  assert.equal(failed.description, 'clicking the button says thanks');
  assert.match(failed.diagnostic ?? '', /^expected: '?Thank you!'?$/m, 'what the test expected');
  assert.match(failed.diagnostic ?? '', /^actual: '?Thanks!'?$/m, 'what the page showed');
});

test('without Chromium, bin/compile and bin/test-compile fail and name the Debian packages to install', () => {
  const dir = tempDir('slipway-nochrome-');
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  for (const script of ['compile', 'test-compile']) {
    const r = spawnSync(path.join(BUILDPACK, 'bin', script), [app, path.join(dir, 'cache'), path.join(dir, 'env')],
      { env: { PATH: '/nonexistent' }, encoding: 'utf8', timeout: 10_000 });
    assert.equal(r.status, 1, `${script}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /No Chromium or Google Chrome/, script);
    assert.match(r.stderr, /apt-get install chromium chromium-driver/, script);
    assert.deepEqual(fs.readdirSync(app), [], `${script} leaves the app untouched`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('with Chromium, bin/compile writes a working headless shim, .profile.d and the export file', { skip }, () => {
  const dir = tempDir('slipway-chrome-');
  const bp = path.join(dir, 'bp'); // a copy: compile writes the export file next to bin/
  fs.cpSync(BUILDPACK, bp, { recursive: true });
  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: app };
  const r = spawnSync(path.join(bp, 'bin/compile'), [app, path.join(dir, 'cache'), path.join(dir, 'env')], { env, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^-----> Google Chrome: using the host's Chromium$/m);
  const hasDriver = fs.existsSync('/usr/bin/chromedriver') || spawnSync('sh', ['-c', 'command -v chromedriver'], { env }).status === 0;

  const profile = fs.readFileSync(path.join(app, '.profile.d/google-chrome.sh'), 'utf8');
  assert.match(profile, /^export GOOGLE_CHROME_BIN="\/\S+"$/m);
  assert.match(profile, /^export CHROME_BIN="\/\S+"$/m);
  assert.match(profile, /^export GOOGLE_CHROME_SHIM="\$HOME\/\.chrome\/bin\/google-chrome"$/m);
  assert.equal(/CHROMEDRIVER_PATH/.test(profile), hasDriver, 'CHROMEDRIVER_PATH only when chromedriver exists');
  const exported = fs.readFileSync(path.join(bp, 'export'), 'utf8');
  assert.ok(exported.includes(`export GOOGLE_CHROME_SHIM="${app}/.chrome/bin/google-chrome"`), exported);

  const seen = spawnSync('bash', ['-c', '. .profile.d/google-chrome.sh && "$GOOGLE_CHROME_SHIM" --dump-dom "data:text/html,<p id=x>shim works</p>"'],
    { cwd: app, env, encoding: 'utf8', timeout: 60_000 });
  assert.equal(seen.status, 0, seen.stderr);
  assert.match(seen.stdout, /<p id="x">shim works<\/p>/);
  fs.rmSync(dir, { recursive: true, force: true });
});
