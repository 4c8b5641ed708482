// pino-std-serializers@7.0.0 (node:test), from the npm registry: the same verdict and counts through Slipway, cold and warm, as
// running its tests directly.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type TestServer } from '../helpers/server.js';
import { fetchProject, runDirectly, runThroughSlipway, tapSummary, type Project } from './project.js';

const PROJECT: Project = { spec: 'pino-std-serializers@7.0.0', devDependencies: { '@matteo.collina/tspl': '^0.1.1' }, test: 'node --test --test-reporter=tap test/*.test.js' };
let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

test(`${PROJECT.spec} with node:test: Slipway's verdict and counts equal a direct run's, cold and warm`, { timeout: 240_000 }, async () => {
  const repo = fetchProject(PROJECT);
  const direct = await runDirectly(PROJECT, repo);
  const expected = { status: direct.code === 0 ? 'succeeded' : 'failed', counts: tapSummary(direct.stdout) };
  assert.ok(expected.counts.passed >= 20, `the direct run ran the suite: ${direct.stdout.slice(-300)}`);
  const { cold, warm, output } = await runThroughSlipway(s, 'pino-std-serializers', repo);
  assert.deepEqual(cold, expected, output);
  assert.deepEqual(warm, expected, output);
});
