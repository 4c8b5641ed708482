// A runner's events are acknowledged (issue "The flow's edges happen exactly once", item 3): when
// the store refuses one (a fault injected into the real server's database with a trigger), the job
// is not reported succeeded and its node does not stay `running`: both end failed, saying why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import Database from 'better-sqlite3';
import { startServer, cli } from '../helpers/server.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { latestRun, nodesOf, waitForStatus } from '../helpers/runs.js';
import { TEST_NODE_JOB } from '../../src/ci/test-node-job.js';

test('the store refuses a node\'s end: the node ends errored (events_not_recorded) and its job failed, not running/succeeded', { timeout: 120_000 }, async () => {
  const s = await startServer();
  try {
    const db = new Database(path.join(s.dataDir, 'slipway.db'));
    try {
      db.exec(`CREATE TRIGGER edges_refuse_success BEFORE UPDATE OF status ON test_nodes WHEN NEW.status = 'succeeded'
        BEGIN SELECT RAISE(ABORT, 'the disk is full (a fault the test injected)'); END;`);
      assert.equal((await cli(s, ['pipelines:create', 'edges-ack'])).code, 0);
      const repo = repoWithBuildpack({ environments: { test: { scripts: { test: 'echo all good' } } } }, 'echo compiled');
      const start = await cli(s, ['ci:run', '-p', 'edges-ack', '--detach'], { cwd: repo });
      assert.equal(start.code, 0, start.stderr);
      const run = await latestRun(s, 'edges-ack');
      const ended = await waitForStatus(s, run.id, ['errored', 'succeeded', 'failed'], 60_000)
        .catch(async (e: Error) => { throw new Error(`${e.message}; nodes: ${JSON.stringify(await nodesOf(s, run.id))}`); });
      assert.equal(ended.status, 'errored');
      const [node] = await nodesOf(s, run.id);
      assert.equal(node!.status, 'errored');
      assert.match(node!.message!, /could not record this job's events \(recording its end event failed: the disk is full/);
      const jobs = db.prepare('SELECT status, last_error FROM jobs WHERE kind = ?').all(TEST_NODE_JOB) as Array<{ status: string; last_error: string }>;
      assert.deepEqual(jobs.map((j) => j.status), ['failed'], 'the job is not reported succeeded');
      assert.match(jobs[0]!.last_error, /recording its end event failed/);
    } finally {
      db.close();
    }
  } finally {
    await s.stop();
  }
});
