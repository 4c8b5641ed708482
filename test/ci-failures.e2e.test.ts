// Every failure explained, every test case listed: a run that failed with no failed case says why,
// npm's lifecycle lines stay, mocha's diagnostics are kept, parallel nodes that did not split their
// tests are pointed at CI_NODE_INDEX/CI_NODE_TOTAL, and 1,500 cases are all listed (API pages, CLI).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, api, TOKEN, BIN, type TestServer } from './helpers/server.js';
import { runCommand } from './helpers/run-command.js';
import { repoWithFiles } from './helpers/apps.js';
import { latestRun } from './helpers/runs.js';

let s: TestServer;
const P = 'failures';

before(async () => {
  s = await startServer();
  assert.equal((await cli(s, ['pipelines:create', P])).code, 0);
});
after(async () => { await s.stop(); });

const ciRun = (dir: string) => cli(s, ['ci:run', '-p', P], { cwd: dir, timeoutMs: 240_000 });
/** An app whose test command is `node tap.js`, the script printing what it is given. */
const tapApp = (script: string, appJson: object = {}) => repoWithFiles({
  'package.json': JSON.stringify({ name: 'probe', version: '1.0.0', private: true, scripts: { test: 'node tap.js' } }),
  'app.json': JSON.stringify({ environments: { test: { scripts: { test: 'node tap.js' }, ...appJson } } }),
  'tap.js': script,
});

test('tests that all pass but exit 1 → failed, "the test command exited 1 after 3 passing tests"', { timeout: 240_000 }, async () => {
  const r = await ciRun(tapApp(`console.log('TAP version 13\\nok 1 a\\nok 2 b\\nok 3 c\\n1..3'); process.exitCode = 1;`));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Test run #\d+ failed: 3 passed, 0 failed, 0 skipped, 0 todo — The test command exited 1 after 3 passing tests\./);
  assert.equal((await latestRun(s, P)).message, 'The test command exited 1 after 3 passing tests.');
});

test('no TAP and no JUnit, exit 255 → "no TAP or JUnit results; the test command exited 255"', { timeout: 240_000 }, async () => {
  const r = await ciRun(tapApp(`console.log('just words'); process.exitCode = 255;`));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /Test run #\d+ failed — No TAP or JUnit results; the test command exited 255\./);
});

test("a failing pretest through the buildpack's npm test: npm's lifecycle lines are shown and the summary says why", { timeout: 240_000 }, async () => {
  const dir = repoWithFiles({ 'package.json': JSON.stringify({ name: 'pre', version: '1.0.0', private: true, scripts: { pretest: 'echo checking && exit 2', test: 'node -e 1' } }) });
  const r = await ciRun(dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /> pre@1\.0\.0 pretest\n> echo checking && exit 2/, 'npm says which script ran');
  assert.match(r.stdout, /No TAP or JUnit results; the test command exited 2\./);
});

test("mocha's TAP (the error on indented lines after not ok) keeps its diagnostic", { timeout: 240_000 }, async () => {
  const r = await ciRun(tapApp(`console.log('1..2\\nok 1 math adds\\nnot ok 2 math divides\\n  AssertionError [ERR_ASSERTION]: expected 1 to equal 2\\n      at Context.<anonymous> (test/math.js:9:12)\\n# tests 2'); process.exitCode = 1;`));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /✗ .*math divides.*\n {4}AssertionError \[ERR_ASSERTION\]: expected 1 to equal 2\n {8}at Context/);
});

test('parallel nodes that all ran the same tests → the summary says so and points at CI_NODE_INDEX/CI_NODE_TOTAL', { timeout: 240_000 }, async () => {
  const r = await ciRun(tapApp(`console.log('TAP version 13\\nok 1 a\\nok 2 b\\n1..2');`, { formation: { test: { quantity: 2 } } }));
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /All 2 parallel nodes ran the same tests.*CI_NODE_INDEX.*CI_NODE_TOTAL/);
  assert.match(r.stdout, /succeeded: 4 passed/);
});

test('1,500 test cases with 38 failures: the API pages them (206, Next-Range) in a stable order; ci:info and --json show them all', { timeout: 240_000 }, async () => {
  const r = await ciRun(tapApp(`const out = ['TAP version 13']; for (let i = 1; i <= 1500; i++) out.push((i % 39 === 0 ? 'not ok ' : 'ok ') + i + ' case ' + i); out.push('1..1500'); console.log(out.join('\\n'));`));
  assert.equal(r.code, 1);
  assert.match(r.stdout, /failed: 1462 passed, 38 failed/);
  assert.equal(r.stdout.match(/✗ /g)?.length, 38, 'every failure is shown');
  const run = await latestRun(s, P);
  // The API: pages of at most 1,000 by Heroku's Range rules, each page continuing the last.
  const first = await fetch(`${s.url}/test-runs/${run.id}/test-cases`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(first.status, 206);
  const next = first.headers.get('next-range')!;
  assert.match(next, /^id \]/);
  const page1 = await first.json() as { id: string }[];
  const second = await fetch(`${s.url}/test-runs/${run.id}/test-cases`, { headers: { authorization: `Bearer ${TOKEN}`, range: next } });
  assert.equal(second.status, 200);
  const page2 = await second.json() as { id: string }[];
  assert.equal(page1.length + page2.length, 1500);
  assert.equal(new Set([...page1, ...page2].map((c) => c.id)).size, 1500, 'no case twice, none lost');
  const again = await api<{ id: string }[]>(s, 'GET', `/test-runs/${run.id}/test-cases`);
  assert.deepEqual(again.json.map((c) => c.id), page1.map((c) => c.id), 'the same order every time');
  const info = await cli(s, ['ci:info', String(run.number), '-p', P, '--json']);
  const cases = (JSON.parse(info.stdout) as { test_cases: { status: string }[] }).test_cases;
  assert.equal(cases.length, 1500);
  assert.deepEqual([...new Set(cases.slice(0, 38).map((c) => c.status))], ['failed'], 'failures first');
  const last = await cli(s, ['ci:last', '-p', P]);
  assert.equal(last.stdout.match(/✗ /g)?.length, 38);

  // A reader that stops early: the output ends quietly, with no stack trace.
  for (const args of [`ci:info ${run.number}`, `ci:info ${run.number} --json`, 'ci:last']) {
    const piped = await runCommand('/bin/bash', ['-c', `${process.execPath} ${BIN} ${args} -p ${P} | head -n 2 >/dev/null; echo "slipway exited ${"$"}{PIPESTATUS[0]}"`], {
      timeoutMs: 60_000, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_URL: s.url, SLIPWAY_TOKEN: TOKEN },
    });
    assert.equal(piped.stderr, '', `${args} | head: nothing on stderr`);
    assert.match(piped.stdout, /slipway exited [01]\n/, `${args} | head: exits as a reader stopping early (0) or with the failed run's code, never a crash`);
  }
});
