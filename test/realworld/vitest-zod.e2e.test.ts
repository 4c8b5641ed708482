// zod@4.1.12 (part of its vitest suite, src/v3/tests, shipped in the tarball), from the npm registry:
// the same verdict and counts through Slipway (JUnit from vitest's junit reporter in
// $CI_REPORTS_DIR), cold and warm, as vitest's own JSON summary of a direct run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, type TestServer } from '../helpers/server.js';
import { fetchProject, runDirectly, runThroughSlipway, type Project } from './project.js';

const FILES = ['array', 'object', 'string', 'number', 'unions', 'refine', 'transformer', 'async-parsing'].map((f) => `src/v3/tests/${f}.test.ts`);
const PROJECT: Project = {
  spec: 'zod@4.1.12',
  devDependencies: { vitest: '^3.2.4' },
  // Its build (zshy, Biome, the monorepo's scripts) is not in the tarball; the package is built already.
  dropScripts: ['build', 'postbuild'],
  test: `vitest run ${FILES.join(' ')} --reporter=default --reporter=junit --outputFile.junit="$CI_REPORTS_DIR/vitest.xml" --reporter=json --outputFile.json=vitest-result.json`,
};
let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

test(`${PROJECT.spec} with vitest: Slipway's verdict and counts equal vitest's own, cold and warm`, { timeout: 420_000 }, async () => {
  const repo = fetchProject(PROJECT);
  const direct = await runDirectly(PROJECT, repo);
  const own = JSON.parse(fs.readFileSync(path.join(direct.dir, 'vitest-result.json'), 'utf8')) as { numPassedTests: number; numFailedTests: number; success: boolean };
  const expected = { status: own.success ? 'succeeded' : 'failed', counts: { passed: own.numPassedTests, failed: own.numFailedTests } };
  assert.ok(expected.counts.passed >= 100, 'the direct run ran the suite');
  const { cold, warm, output } = await runThroughSlipway(s, 'zod', repo);
  assert.deepEqual(cold, expected, output);
  assert.deepEqual(warm, expected, output);
  assert.match(output, /Read \d+ test results from JUnit reports/);
});
