// zod@4.1.12 (part of its vitest suite, src/v3/tests, shipped in the tarball), from the npm registry:
// the same verdict and counts through Slipway (JUnit from vitest's junit reporter in
// $CI_REPORTS_DIR), cold and warm, as vitest's own JSON summary of a direct run.
import { compareJsonSummaryProject, type Project } from './project.js';

const FILES = ['array', 'object', 'string', 'number', 'unions', 'refine', 'transformer', 'async-parsing'].map((f) => `src/v3/tests/${f}.test.ts`);
const PROJECT: Project = {
  spec: 'zod@4.1.12',
  devDependencies: { vitest: '^3.2.4' },
  // Its build (zshy, Biome, the monorepo's scripts) is not in the tarball; the package is built already.
  dropScripts: ['build', 'postbuild'],
  test: `vitest run ${FILES.join(' ')} --reporter=default --reporter=junit --outputFile.junit="$CI_REPORTS_DIR/vitest.xml" --reporter=json --outputFile.json=vitest-result.json`,
};
compareJsonSummaryProject(PROJECT, { pipeline: 'zod', stack: 'vitest', resultFile: 'vitest-result.json', minPassed: 100, timeoutMs: 420_000 });
