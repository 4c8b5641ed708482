// Browser (UAT) tests in a Slipway test run: the heroku/google-chrome buildpack, playwright-core and
// the host's headless Chromium, inside the sandbox, passing and failing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { startServer, cli, REPO, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { latestRun, casesOf } from './helpers/runs.js';

const skip = fs.existsSync('/usr/bin/chromium') ? false : 'Chromium is not installed (apt-get install chromium)';
let s: TestServer;
before(async () => { if (!skip) { s = await startServer(); await cli(s, ['pipelines:create', 'uat']); } });
after(async () => { await s?.stop(); });

test('a playwright-core test clicks through the app in headless Chromium → succeeded', { skip, timeout: 300_000 }, async () => {
  const r = await cli(s, ['ci:run', '-p', 'uat'], { cwd: exampleRepo('uat-browser'), timeoutMs: 290_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Using the host's Chromium/);
  assert.match(r.stdout, /succeeded: 2 passed, 0 failed/);
});

test('the failing variant → failed, with the failing assertion in its test case', { skip, timeout: 300_000 }, async () => {
  await cli(s, ['ci:config:set', '-p', 'uat', 'UAT_EXPECTED_STATUS=Thank you for your order']);
  try {
    const r = await cli(s, ['ci:run', '-p', 'uat'], { cwd: exampleRepo('uat-browser'), timeoutMs: 290_000 });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /failed: 1 passed, 1 failed/);
    const run = await latestRun(s, 'uat');
    const failed = (await casesOf(s, run.id)).find((c) => c.status === 'failed')!;
    assert.equal(failed.description, 'clicking Buy puts an item in the cart');
    assert.match(failed.diagnostic!, /Thanks! 1 item in your cart/, 'what the page showed');
    assert.match(failed.diagnostic!, /Thank you for your order/, 'what the test expected');
  } finally {
    await cli(s, ['ci:config:unset', '-p', 'uat', 'UAT_EXPECTED_STATUS']);
  }
});

test('without Chromium the buildpack fails and names the Debian packages to install', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-nochrome-'));
  const bp = path.join(dir, 'bp');
  fs.cpSync(path.join(REPO, 'buildpacks/google-chrome'), bp, { recursive: true });
  fs.mkdirSync(path.join(dir, 'app'));
  const r = spawnSync(path.join(bp, 'bin/test-compile'), [path.join(dir, 'app'), path.join(dir, 'cache'), path.join(dir, 'env')], { env: { PATH: '/nonexistent' }, encoding: 'utf8' });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /apt-get install -y chromium chromium-driver/);
});
