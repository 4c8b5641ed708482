// A parallel run compiles once per runner host and every node starts from its own copy: through the
// real server and CLI, with a folder buildpack whose bin/test-compile leaves traces in the app and cache.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { commitAll, git } from './helpers/apps.js';
import { latestRun, nodesOf } from './helpers/runs.js';
import { leftoverProcesses } from './helpers/processes.js';
import { tempDir } from './helpers/temp.js';

let s: TestServer;
const P = 'compile-once';

before(async () => {
  s = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '4' });
  const r = await cli(s, ['pipelines:create', P]);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => {
  const ids = (await api<{ id: string }[]>(s, 'GET', `/pipelines/${P}/test-runs?limit=100`)).json.map((r) => r.id);
  const nodeIds = (await Promise.all(ids.map((id) => nodesOf(s, id)))).flat().map((n) => n.id);
  await s.stop();
  assert.deepEqual(await leftoverProcesses(nodeIds), [], 'no process of any test run is left on the machine');
  assert.deepEqual(fs.readdirSync(path.join(s.dataDir, 'workspaces')), [], 'every workspace, the compiled ones too, was removed');
});

/** A committed app with app.json and a folder buildpack `./bp` whose bin/test-compile is `compile`. */
function repo(appJson: object, compile: string): string {
  const dir = tempDir('slipway-compile-once-');
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ buildpacks: [{ url: './bp' }], ...appJson }));
  fs.mkdirSync(path.join(dir, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bp/bin/test-compile'), `#!/bin/bash\nset -e\n${compile}\n`, { mode: 0o755 });
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'app with a test-compile buildpack');
  return dir;
}

const outputs = async (runId: string) => Promise.all((await nodesOf(s, runId)).map(async (n) => ({
  index: n.index, status: n.status, message: n.message,
  setup: await (await fetch(n.setup_stream_url)).text(), test: await (await fetch(n.output_stream_url)).text(),
})));

// test-compile records who compiled (and a random stamp) in the app, and counts its runs in CACHE_DIR.
const COMPILE = 'echo "stamp $RANDOM$RANDOM by node $CI_NODE_INDEX" > "$1/compiled"; n=$(cat "$2/runs" 2>/dev/null || echo 0); echo $((n + 1)) > "$2/runs"; echo "test-compile run $((n + 1))"';

test('4 nodes: one test-compile, each node its own CI_NODE_INDEX, and the setup cache reused by the next run', async () => {
  const dir = repo({ environments: { test: { formation: { test: { quantity: 4 } }, scripts: { test: 'echo "node $CI_NODE_INDEX of $CI_NODE_TOTAL sees $(cat compiled)"' } } } }, COMPILE);
  for (const round of [1, 2]) {
    if (round === 2) commitAll(dir, 'second commit');
    const r = await cli(s, ['ci:run', '-p', P], { cwd: dir, timeoutMs: 120_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const nodes = await outputs((await latestRun(s, P)).id);
    assert.deepEqual(nodes.map((n) => [n.index, n.status]), [[0, 'succeeded'], [1, 'succeeded'], [2, 'succeeded'], [3, 'succeeded']]);
    const seen = nodes.map((n) => /node (\d) of 4 sees (stamp \d+ by node \d)/.exec(n.test));
    assert.deepEqual(seen.map((m) => m?.[1]), ['0', '1', '2', '3'], 'each node has its own CI_NODE_INDEX');
    assert.equal(new Set(seen.map((m) => m?.[2])).size, 1, `one compile for the 4 nodes: ${seen.map((m) => m?.[2]).join(', ')}`);
    for (const n of nodes) {
      // Every node's setup log reads as a full setup: the compile's output, then its own copy.
      assert.match(n.setup, new RegExp(`test-compile run ${round}\\n`), `node ${n.index}: the compile ran once per run, over the cache the last run saved`);
      assert.match(n.setup, /This run's 4 nodes share one compile/);
    }
  }
});

test('nodes stay isolated: what one node writes to its app (the compiled files too) no other node sees', async () => {
  // Node 0 overwrites the compiled file and adds one in test-setup; the other nodes read theirs a moment later.
  const dir = repo({
    environments: { test: { formation: { test: { quantity: 3 } },
      scripts: {
        'test-setup': 'if [ "$CI_NODE_INDEX" = 0 ]; then echo tampered > compiled; echo from-node-0 > extra; fi',
        test: 'if [ "$CI_NODE_INDEX" != 0 ]; then sleep 2; fi; echo "node $CI_NODE_INDEX: $(cat compiled) extra=$(cat extra 2>/dev/null || echo none)"',
      } } },
  }, COMPILE);
  const r = await cli(s, ['ci:run', '-p', P], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const nodes = await outputs((await latestRun(s, P)).id);
  assert.match(nodes[0]!.test, /node 0: tampered extra=from-node-0/);
  for (const n of nodes.slice(1)) assert.match(n.test, new RegExp(`node ${n.index}: stamp \\d+ by node \\d extra=none`), `node ${n.index} has its own copy`);
});

test('a failing test-compile fails every node clearly, each with the compile output in its setup log', async () => {
  const dir = repo({ environments: { test: { formation: { test: { quantity: 3 } }, scripts: { test: 'echo never' } } } }, 'echo "missing dependency foo" >&2; exit 3');
  const r = await cli(s, ['ci:run', '-p', P], { cwd: dir, timeoutMs: 120_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  const run = await latestRun(s, P);
  assert.equal(run.status, 'errored');
  const nodes = await outputs(run.id);
  assert.equal(nodes.length, 3);
  for (const n of nodes) {
    assert.equal(n.status, 'errored', `node ${n.index}`);
    assert.equal(n.message, 'Buildpack ./bp bin/test-compile exited with code 3.');
    assert.match(n.setup, /missing dependency foo/);
    assert.doesNotMatch(n.test, /never/);
  }
});
