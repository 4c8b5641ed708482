// The queue keeps no secrets and no garbage (issue "The flow's edges happen exactly once", item 4):
// config vars reach test nodes, builds and release phases when they are claimed, and are never
// written to the jobs table; a finished job's payload is purged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startServer, cli, api, gitPush } from '../helpers/server.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { latestRun, waitFor, waitForStatus } from '../helpers/runs.js';
import { storeKeyring } from '../helpers/sealed.js';

interface ReleaseJson { version: number; status: string }

test('after a push (test run, build, release phase) no config value is in the jobs table, and finished jobs keep no payload', { timeout: 180_000 }, async () => {
  const s = await startServer();
  const [stageSecret, appSecret] = ['stage-secret-4f1c9a', 'app-secret-7d2e0b'];
  try {
    const repo = repoWithBuildpack({ environments: { test: { scripts: { test: 'echo "the node sees $STAGE_SECRET"' } } } },
      'printf "release: echo the release phase sees \\$APP_SECRET\\n" > "$1/Procfile"');
    for (const args of [['pipelines:create', 'edges-q'], ['apps:create', 'edges-q-dev'], ['pipelines:add', 'edges-q', '-a', 'edges-q-dev'],
      ['ci:config:set', `STAGE_SECRET=${stageSecret}`, '-p', 'edges-q'], ['config:set', `APP_SECRET=${appSecret}`, '-a', 'edges-q-dev'], ['git:remote', '-a', 'edges-q-dev']]) {
      const r = await cli(s, args, { cwd: repo });
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    const push = await gitPush(s, repo, ['slipway', 'main']);
    assert.equal(push.code, 0, push.output);
    const run = await latestRun(s, 'edges-q');
    assert.equal((await waitForStatus(s, run.id, ['succeeded', 'failed', 'errored'], 60_000)).status, 'succeeded');
    const info = await cli(s, ['ci:info', String(run.number), '-p', 'edges-q']);
    assert.match(info.stdout, new RegExp(`the node sees ${stageSecret}`), 'the node got the stage config at claim time');
    const released = await waitFor('the release phase to pass', async () => (await api<ReleaseJson[]>(s, 'GET', '/apps/edges-q-dev/releases')).json.find((r) => r.version === 3 && r.status !== 'pending'), 60_000);
    assert.equal(released.status, 'succeeded');
    const output = await cli(s, ['releases:output', 'v3', '-a', 'edges-q-dev']);
    assert.match(output.stdout, new RegExp(`the release phase sees ${appSecret}`), 'the release phase got its config at claim time');
    // Let the follow-ups (flow edges) finish too.
    await new Promise((r) => setTimeout(r, 2000));

    const db = new Database(path.join(s.dataDir, 'slipway.db'), { readonly: true });
    try {
      // Payloads are sealed at rest (secrets' store plugin): opened with the server's key, so the test sees what a payload holds.
      const ring = storeKeyring(s);
      const jobs = (db.prepare('SELECT kind, status, payload FROM jobs').all() as Array<{ kind: string; status: string; payload: string }>).map((j) => ({ ...j, payload: ring.open(j.payload) }));
      assert.ok(jobs.some((j) => j.kind === 'test-node') && jobs.some((j) => j.kind === 'build') && jobs.some((j) => j.kind === 'release-phase'), JSON.stringify(jobs.map((j) => j.kind)));
      const dump = JSON.stringify(jobs);
      assert.doesNotMatch(dump, new RegExp(stageSecret), 'no stage config value in the jobs table');
      assert.doesNotMatch(dump, new RegExp(appSecret), 'no app config value in the jobs table');
      const finished = jobs.filter((j) => ['succeeded', 'failed', 'cancelled'].includes(j.status));
      assert.ok(finished.length >= 3);
      assert.deepEqual(finished.filter((j) => j.payload !== '{}'), [], 'finished jobs keep no payload');
    } finally {
      db.close();
    }
  } finally {
    await s.stop();
  }
});
