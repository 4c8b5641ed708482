// Results beyond TAP: JUnit XML reports, and flaky tests across runs of one commit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { latestRun, casesOf } from './helpers/runs.js';

let s: TestServer;
before(async () => { s = await startServer(); await cli(s, ['pipelines:create', 'results']); });
after(async () => { await s.stop(); });

test('a runner that writes JUnit XML (node --test junit reporter) gets per-test results with correct counts', async () => {
  const r = await cli(s, ['ci:run', '-p', 'results'], { cwd: exampleRepo('junit-report') });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /Read 4 test results from JUnit reports/);
  assert.match(r.stdout, /failed: 2 passed, 1 failed, 1 skipped, 0 todo/);
  const run = await latestRun(s, 'results');
  const cases = await casesOf(s, run.id);
  const failed = cases.find((c) => c.status === 'failed')!;
  assert.match(failed.description, /applies a discount code/);
  assert.match(failed.diagnostic!, /expected the 10% discount to give 8/);
});

test('a test that failed and then passed on the same commit is marked flaky, in both runs', async () => {
  const dir = exampleRepo('junit-report', (d) => {
    fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: { buildpacks: [{ url: './bp' }], scripts: { test: './flaky.sh' } } } }));
    fs.mkdirSync(path.join(d, 'bp/bin'), { recursive: true });
    fs.writeFileSync(path.join(d, 'bp/bin/compile'), '#!/bin/sh\necho ok\n', { mode: 0o755 });
    // Fails on odd run numbers, passes on even ones: a stand-in for a timing-dependent test.
    fs.writeFileSync(path.join(d, 'flaky.sh'), '#!/bin/sh\necho 1..2\necho ok 1 - stable\nif [ $((HEROKU_TEST_RUN_NUMBER % 2)) -eq 1 ]; then echo "not ok 2 - sometimes"; else echo "ok 2 - sometimes"; fi\n', { mode: 0o755 });
  });
  let first = await cli(s, ['ci:run', '-p', 'results'], { cwd: dir });
  if ((await latestRun(s, 'results')).number % 2 === 0) first = await cli(s, ['ci:run', '-p', 'results'], { cwd: dir }); // start on an odd number
  assert.equal(first.code, 1);
  const failedRun = await latestRun(s, 'results');
  const second = await cli(s, ['ci:rerun', String(failedRun.number), '-p', 'results']);
  assert.equal(second.code, 0, second.stdout + second.stderr);
  assert.match(second.stdout, /sometimes \(flaky: failed on this commit before\)/);
  const passedRun = await latestRun(s, 'results');
  const now = await casesOf(s, passedRun.id);
  assert.deepEqual(now.map((c) => [c.description, c.status, (c as unknown as { flaky: boolean }).flaky]), [['stable', 'passed', false], ['sometimes', 'passed', true]]);
  const before = await casesOf(s, failedRun.id);
  assert.equal((before.find((c) => c.description === 'sometimes') as unknown as { flaky: boolean }).flaky, true, 'the earlier failure is marked too');
  const history = (await api<{ number: number; status: string; flaky: boolean }[]>(s, 'GET', '/pipelines/results/test-history?description=sometimes')).json;
  assert.deepEqual(history.slice(0, 2).map((h) => [h.number, h.status, h.flaky]), [[passedRun.number, 'passed', true], [failedRun.number, 'failed', true]]);
  const info = await cli(s, ['ci:info', String(failedRun.number), '-p', 'results']);
  assert.match(info.stdout, /sometimes \(flaky: passed on this commit before\)/);
});
