// A crashed server: killed with SIGKILL during a run, restarted on the same data. The run ends
// errored "runner lost" within the lease time; its processes and workspace are gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, type TestServer } from './helpers/server.js';
import { repoWithBuildpack } from './helpers/apps.js';
import { latestRun, nodesOf, waitFor, waitForStatus } from './helpers/runs.js';
import { leftoverProcesses } from './helpers/processes.js';
import { leftoverMounts } from './helpers/mounts.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { needs } from './helpers/tools.js';

function sleeperRepo(): string {
  return repoWithBuildpack({ environments: { test: { scripts: { test: 'echo sleeping; sleep 300 & sleep 301' } } } }, 'echo compiled');
}

for (const sandbox of ['process', 'bwrap'] as const) {
  test(`server killed with SIGKILL mid-run (${sandbox} sandbox) → run errored "runner lost" after restart, nothing left`, { skip: sandbox === 'bwrap' ? needs('bwrap') : false, timeout: 120_000 }, async () => {
    const env = { SLIPWAY_SANDBOX: sandbox, SLIPWAY_JOB_LEASE_SECONDS: '3' };
    let s: TestServer = await startServer(env);
    try {
      await cli(s, ['pipelines:create', 'crash']);
      const start = await cli(s, ['ci:run', '-p', 'crash', '--detach'], { cwd: sleeperRepo() });
      assert.equal(start.code, 0, start.stderr);
      const run = await latestRun(s, 'crash');
      const node = await waitFor('node running', async () => { const [n] = await nodesOf(s, run.id); return n?.status === 'running' ? n : undefined; });
      await waitFor('sandboxed processes', async () => findMarkedProcesses((m) => m === node.id).length >= 2);
      const log = path.join(s.dataDir, 'logs/test-runs', run.id, '0/test.log');
      await waitFor('the first output line to be stored', async () => fs.existsSync(log) && fs.readFileSync(log, 'utf8').includes('sleeping'));

      await s.kill();
      const workspace = path.join(s.dataDir, 'workspaces', node.id);
      const loopMounts = /ext4 on loop/.test(s.output());
      assert.equal(loopMounts, process.getuid?.() === 0 && fs.existsSync('/dev/loop-control'), 'a root server with loop devices gives each workspace a filesystem');
      if (loopMounts) assert.ok(leftoverMounts(s.dataDir).length > 0, 'the killed server left its node\'s filesystem mounted');
      if (sandbox === 'process') {
        assert.ok(findMarkedProcesses((m) => m === node.id).length > 0, 'plain process groups outlive a crashed server: recovery has to find them');
        assert.ok(fs.existsSync(workspace));
      }

      const restartedAt = Date.now();
      s = await startServer(env, s.dataDir);
      // Timed from when the restarted server answers (its own start, with its companions, is slow on a loaded machine).
      const readyAt = Date.now();
      const ended = await waitForStatus(s, run.id, ['errored'], 30_000);
      assert.ok(Date.now() - readyAt < 10_000, `ended ${Date.now() - readyAt} ms after the restarted server answered (its start took ${readyAt - restartedAt} ms): within the lease time`);
      assert.match(ended.message!, /runner .*lost/);
      const [after] = await nodesOf(s, run.id);
      assert.equal(after!.status, 'errored');
      assert.deepEqual(await leftoverProcesses([node.id]), [], 'its sandbox processes are gone');
      assert.equal(fs.existsSync(workspace), false, 'its workspace is gone');
      assert.deepEqual(leftoverMounts(s.dataDir), [], 'its filesystem was unmounted and its loop device detached at start-up');
      if (loopMounts) assert.match(s.output(), /removed 1 workspace filesystems a previous run left behind/);

      const info = await cli(s, ['ci:info', String(run.number), '-p', 'crash']);
      assert.equal(info.code, 1);
      assert.match(info.stdout, /sleeping/, 'the output up to the crash is kept');
    } finally {
      await s.stop();
    }
  });
}
