// process-warning@4.0.0 (its jest suite, test/jest.test.js), from the npm registry: the same verdict
// and counts through Slipway (JUnit from jest-junit in $CI_REPORTS_DIR), cold and warm, as jest's
// own summary of a direct run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { fetchProject, runDirectly, runThroughSlipway, type Project } from './project.js';

const PROJECT: Project = {
  spec: 'process-warning@4.0.0',
  devDependencies: { jest: '^29.7.0', 'jest-junit': '^16.0.0' },
  test: 'JEST_JUNIT_OUTPUT_DIR="$CI_REPORTS_DIR" jest test/jest.test.js --ci --reporters=default --reporters=jest-junit --json --outputFile=jest-result.json',
};
let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

test(`${PROJECT.spec} with jest: Slipway's verdict and counts equal jest's own, cold and warm`, { timeout: 300_000 }, async () => {
  const repo = fetchProject(PROJECT);
  const direct = await runDirectly(PROJECT, repo);
  const own = JSON.parse(fs.readFileSync(path.join(direct.dir, 'jest-result.json'), 'utf8')) as { numPassedTests: number; numFailedTests: number; success: boolean };
  const expected = { status: own.success ? 'succeeded' : 'failed', counts: { passed: own.numPassedTests, failed: own.numFailedTests } };
  assert.ok(expected.counts.passed >= 1, 'the direct run ran the suite');
  const { cold, warm, output } = await runThroughSlipway(s, 'process-warning', repo);
  assert.deepEqual(cold, expected, output);
  assert.deepEqual(warm, expected, output);
  assert.match(output, /Read \d+ test results from JUnit reports/);
});
