// Heroku CI test runs end to end: the real server process, the real CLI, real git repositories,
// the example apps in examples/, bubblewrap when the machine has it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import os from 'node:os';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll } from './helpers/apps.js';
import { latestRun, nodesOf, casesOf, waitFor, waitForStatus, runByNumber } from './helpers/runs.js';
import { leftoverProcesses } from './helpers/processes.js';
import { serveGitRepo, httpGate } from './helpers/git-http.js';

let s: TestServer;
const P = 'flow';
const allNodeIds: string[] = [];

before(async () => {
  s = await startServer();
  const r = await cli(s, ['pipelines:create', P]);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  const ids = (await api<{ id: string }[]>(s, 'GET', `/pipelines/${P}/test-runs?limit=1000`)).json.map((r) => r.id);
  for (const id of ids) allNodeIds.push(...(await nodesOf(s, id)).map((n) => n.id));
  await s.stop();
  assert.deepEqual(await leftoverProcesses(allNodeIds), [], 'no process of any test run is left on the machine');
  assert.deepEqual(fs.readdirSync(path.join(s.dataDir, 'workspaces')), [], 'every workspace was removed');
});

const ciRun = (dir: string, ...args: string[]) => cli(s, ['ci:run', '-p', P, ...args], { cwd: dir });

test('a node:test suite with passes, a failure, a skip and a todo → failed with exactly those counts', async () => {
  const dir = exampleRepo('node-tap-mixed');
  const r = await ciRun(dir);
  assert.equal(r.code, 1, 'exit code 1: the run failed');
  assert.match(r.stdout, /Test run #\d+ failed: 3 passed, 1 failed, 1 skipped, 1 todo/);
  assert.match(r.stdout, /expected 2 \+ 2 to equal 5/, 'the failure and its diagnostic are shown');
  const run = await latestRun(s, P);
  assert.equal(run.status, 'failed');
  assert.deepEqual(run.counts, { passed: 3, failed: 1, skipped: 1, todo: 1 });
  const cases = await casesOf(s, run.id);
  assert.deepEqual(cases.map((c) => c.status).sort(), ['failed', 'passed', 'passed', 'passed', 'skipped', 'todo']);
  const info = await cli(s, ['ci:info', String(run.number), '-p', P, '--json']);
  assert.equal(info.code, 1);
  assert.equal(JSON.parse(info.stdout).test_cases.length, 6);
});

test('a passing app → succeeded, exit 0; its setup and test output are stored and shown again by ci:last', async () => {
  const dir = exampleRepo('node-passing');
  const r = await ciRun(dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /succeeded: 2 passed, 0 failed/);
  const last = await cli(s, ['ci:last', '-p', P]);
  assert.equal(last.code, 0);
  assert.match(last.stdout, /Running test-setup/);
  assert.match(last.stdout, /# pass 2|ok 2/);
  const run = await latestRun(s, P);
  const [node] = await nodesOf(s, run.id);
  const plain = await (await fetch(node!.output_stream_url)).text();
  assert.match(plain, /ok 1/, 'the permanent output URL works without a token');
});

test('HEROKU_TEST_RUN_* and CI_NODE_* are set; the sandbox cannot read Slipway\'s data folder', async () => {
  await cli(s, ['ci:config:set', '-p', P, `SLIPWAY_PROBE_DATA_DIR=${s.dataDir}`]);
  try {
    const dir = exampleRepo('sandbox-probe');
    const r = await ciRun(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /succeeded: 5 passed, 0 failed/);
  } finally {
    await cli(s, ['ci:config:unset', '-p', P, 'SLIPWAY_PROBE_DATA_DIR']);
  }
});

test('an app.json with a wrong type → errored, naming the JSON path', async () => {
  const r = await ciRun(exampleRepo('broken/invalid-app-json'));
  assert.equal(r.code, 1);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'errored');
  assert.match(run.message!, /environments\.test\.scripts\.test/);
  assert.match(r.stdout, /environments\.test\.scripts\.test/);
});

test('an app.json that is not JSON → errored, with line and column', async () => {
  const r = await ciRun(exampleRepo('broken/malformed-app-json'));
  assert.equal(r.code, 1);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'errored');
  assert.match(run.message!, /app\.json is not valid JSON at line \d+, column \d+/);
});

test('a buildpack whose compile fails → errored, its output kept', async () => {
  const r = await ciRun(exampleRepo('broken/failing-compile'));
  assert.equal(r.code, 1);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'errored');
  assert.match(run.message!, /bin\/compile exited with code 1/);
  assert.match(r.stdout, /something broke/);
});

test('a failing test-setup → errored', async () => {
  const r = await ciRun(exampleRepo('broken/failing-setup'));
  assert.equal(r.code, 1);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'errored');
  assert.match(run.message!, /test-setup script exited with code 3/);
  assert.match(r.stdout, /setting up/);
});

test('tests without TAP that exit non-zero → failed, red only, no test cases', async () => {
  const r = await ciRun(exampleRepo('broken/no-tap-failing'));
  assert.equal(r.code, 1);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'failed');
  assert.deepEqual(await casesOf(s, run.id), []);
  assert.match(r.stdout, /plain output/);
});

test('a buildpack folder with bin/test-compile and bin/test; the setup cache is reused by the next run; --no-cache starts cold', async () => {
  const dir = exampleRepo('custom-buildpack');
  const cold = await ciRun(dir);
  assert.equal(cold.code, 0, cold.stdout + cold.stderr);
  assert.match(cold.stdout, /test-compile ran/);
  assert.doesNotMatch(cold.stdout, /(^|\n)compile ran/, 'bin/test-compile is preferred over bin/compile');
  assert.match(cold.stdout, /cache: cold/);
  assert.match(cold.stdout, /succeeded: 2 passed/);
  commitAll(dir, 'second commit');
  const warm = await ciRun(dir);
  assert.equal(warm.code, 0);
  assert.match(warm.stdout, /cache: warm/);
  const clean = await ciRun(dir, '--no-cache');
  assert.equal(clean.code, 0);
  assert.match(clean.stdout, /cache: cold/);
});

test('a run over its time limit is killed and errored "timed out", and none of its processes remain', async () => {
  const started = Date.now();
  const r = await ciRun(exampleRepo('broken/timeout'));
  assert.equal(r.code, 1);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'errored');
  assert.match(run.message!, /timed out/);
  assert.ok(Date.now() - started < 60_000, 'it did not wait for the sleeping children');
  assert.doesNotMatch(r.stdout, /never/);
  const ids = (await nodesOf(s, run.id)).map((n) => n.id);
  assert.deepEqual(await leftoverProcesses(ids), []);
});

function inlineApp(appJson: object, files: Record<string, string> = {}): string {
  const dir = tempDir('slipway-inline-');
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify(appJson));
  for (const [f, body] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), body, { mode: 0o755 });
  return dir;
}

function inlineRepo(appJson: object, files: Record<string, string> = {}): string {
  const dir = inlineApp(appJson, files);
  fs.mkdirSync(path.join(dir, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bp/bin/compile'), '#!/bin/sh\necho compiled\n', { mode: 0o755 });
  commitAll(initRepo(dir), 'inline app');
  return dir;
}

import { git } from './helpers/apps.js';
import { tempDir } from './helpers/temp.js';
function initRepo(dir: string): string { git(dir, 'init', '-q', '-b', 'main'); return dir; }

test('output streams live while the run goes on', async () => {
  const dir = inlineRepo({ buildpacks: [{ url: './bp' }], environments: { test: { scripts: { test: 'echo first-line; sleep 2; echo second-line' } } } });
  const start = await ciRun(dir, '--detach');
  assert.equal(start.code, 0, start.stderr);
  const run = await latestRun(s, P);
  const node = await waitFor('node', async () => (await nodesOf(s, run.id))[0]);
  const res = await fetch(node.output_stream_url);
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('first-line')) text += new TextDecoder().decode((await reader.read()).value);
  const mid = (await api<{ status: string }>(s, 'GET', `/test-runs/${run.id}`)).json.status;
  assert.equal(mid, 'running', 'the first line arrived while the run was still running');
  for (;;) { const { done, value } = await reader.read(); if (done) break; text += new TextDecoder().decode(value); }
  assert.match(text, /first-line\nsecond-line/);
  assert.equal((await waitForStatus(s, run.id, ['succeeded'])).status, 'succeeded');
});

test('ci:cancel stops a running run: cancelled, processes gone', async () => {
  const dir = inlineRepo({ buildpacks: [{ url: './bp' }], environments: { test: { scripts: { test: 'echo started; sleep 300 & sleep 301' } } } });
  await ciRun(dir, '--detach');
  const run = await latestRun(s, P);
  await waitFor('running', async () => (await nodesOf(s, run.id))[0]?.status === 'running');
  const c = await cli(s, ['ci:cancel', String(run.number), '-p', P]);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout, /cancelled/);
  const ids = (await nodesOf(s, run.id)).map((n) => n.id);
  assert.deepEqual(await leftoverProcesses(ids, 10_000), []);
  assert.equal((await runByNumber(s, P, run.number)).status, 'cancelled');
  const again = await cli(s, ['ci:cancel', String(run.number), '-p', P]);
  assert.equal(again.code, 2, 'a finished run cannot be cancelled');
});

test('ci:rerun runs the same commit again as the next number', async () => {
  const first = await runByNumber(s, P, 1);
  const last = await latestRun(s, P);
  const r = await cli(s, ['ci:rerun', '1', '-p', P]);
  const after = await latestRun(s, P);
  assert.equal(after.number, last.number + 1);
  assert.equal(after.commit_sha, first.commit_sha);
  assert.equal(after.status, 'failed', 'the same tests, the same result');
  assert.equal(r.code, 1);
  assert.match(r.stderr, /re-run of #1\b/);
});

test('parallel nodes get CI_NODE_TOTAL and their own CI_NODE_INDEX', async () => {
  const dir = inlineRepo({ buildpacks: [{ url: './bp' }], environments: { test: { formation: { test: { quantity: 2 } }, scripts: { test: 'echo "node $CI_NODE_INDEX of $CI_NODE_TOTAL"' } } } });
  const r = await ciRun(dir, '--node', '1');
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /node 1 of 2/);
  const run = await latestRun(s, P);
  const nodes = await nodesOf(s, run.id);
  assert.deepEqual(nodes.map((n) => [n.index, n.status]), [[0, 'succeeded'], [1, 'succeeded']]);
  const out0 = await (await fetch(nodes[0]!.output_stream_url)).text();
  assert.match(out0, /node 0 of 2/);
});

test('the CLI: no token → exit 3; outside a git repo → exit 2 with what to do; unknown pipeline → exit 2', async () => {
  const noAuth = await cli(s, ['ci', '-p', P], { env: { SLIPWAY_TOKEN: 'nope-nope-nope-nope' } });
  assert.equal(noAuth.code, 3);
  assert.match(noAuth.stderr, /slipway login/);
  const notRepo = await cli(s, ['ci:run', '-p', P], { cwd: os.tmpdir() });
  assert.equal(notRepo.code, 2);
  assert.match(notRepo.stderr, /Not in a git repository/);
  const unknown = await cli(s, ['ci', '-p', 'no-such-pipeline']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Couldn't find a pipeline named "no-such-pipeline"/);
  const list = await cli(s, ['ci', '-p', P]);
  assert.equal(list.code, 0);
  assert.match(list.stdout, /#1\s+failed\s+main/);
});

test('a buildpack from a git URL, pinned with #ref', async () => {
  const bp = tempDir('slipway-gitbp-');
  fs.mkdirSync(path.join(bp, 'bin'));
  fs.writeFileSync(path.join(bp, 'bin/compile'), '#!/bin/sh\necho "git buildpack v1"\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bp, 'bin/test'), '#!/bin/sh\necho 1..1; echo ok 1 - from the git buildpack\n', { mode: 0o755 });
  git(bp, 'init', '-q', '-b', 'main');
  commitAll(bp, 'v1');
  git(bp, 'tag', 'v1');
  fs.writeFileSync(path.join(bp, 'bin/compile'), '#!/bin/sh\necho "git buildpack v2"\n', { mode: 0o755 });
  commitAll(bp, 'v2');
  const served = await serveGitRepo(bp, 'ci-buildpack');
  try {
    const dir = inlineApp({ environments: { test: { buildpacks: [{ url: `${served.url}#v1` }] } } });
    commitAll(initRepo(dir), 'uses a git buildpack');
    const r = await ciRun(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /git buildpack v1/);
    assert.doesNotMatch(r.stdout, /git buildpack v2/);
    assert.match(r.stdout, /succeeded: 1 passed/);
    const missing = inlineApp({ environments: { test: { buildpacks: [{ url: `${served.url.replace('ci-buildpack', 'nope')}` }] } } });
    commitAll(initRepo(missing), 'missing buildpack');
    const bad = await ciRun(missing);
    assert.equal(bad.code, 1);
    assert.match((await latestRun(s, P)).message!, /git clone of .*nope\.git failed/);
  } finally { await served.close(); }
});

test('nodes beyond the runner\'s slots wait in the queue and say why', async () => {
  // Node 0 holds the only slot until the test has seen node 1 waiting (no race with the clock).
  const gate = await httpGate();
  const url = gate.url;
  const small = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '1' });
  try {
    await cli(small, ['pipelines:create', 'small']);
    const hold = `node -e 'const u=process.argv[1];(async()=>{for(;;){try{if((await fetch(u)).ok)return}catch{}await new Promise(r=>setTimeout(r,100))}})()' ${url}`;
    const dir = inlineRepo({ buildpacks: [{ url: './bp' }], environments: { test: { formation: { test: { quantity: 2 } }, scripts: { test: `if [ "$CI_NODE_INDEX" = 0 ]; then ${hold}; fi; echo "node $CI_NODE_INDEX done"` } } } });
    const started = await cli(small, ['ci:run', '-p', 'small', '--detach'], { cwd: dir });
    assert.equal(started.code, 0, started.stderr);
    const [run] = (await api<{ id: string; number: number }[]>(small, 'GET', '/pipelines/small/test-runs')).json;
    let seen: unknown;
    const waiting = await waitFor('a waiting node', async () => {
      const nodes = await nodesOf(small, run!.id);
      seen = nodes.map((n) => [n.index, n.status, n.waiting_reason, n.message]);
      return nodes.find((n) => n.status === 'pending' && n.waiting_reason);
    }, 30_000).catch((e: Error) => { throw new Error(`${e.message}; nodes: ${JSON.stringify(seen)}`); });
    assert.equal(waiting.index, 1);
    assert.equal(waiting.waiting_reason, 'waiting for a free runner slot: 1 of 1 busy');
    gate.open();
    const done = await waitForStatus(small, run!.id, ['succeeded']);
    assert.equal(done.status, 'succeeded');
    assert.deepEqual((await nodesOf(small, run!.id)).map((n) => [n.status, n.waiting_reason]), [['succeeded', null], ['succeeded', null]]);
  } finally {
    gate.open();
    await small.stop();
    await gate.close();
  }
});
