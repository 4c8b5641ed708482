// process-warning@4.0.0 (its jest suite, test/jest.test.js), from the npm registry: the same verdict
// and counts through Slipway (JUnit from jest-junit in $CI_REPORTS_DIR), cold and warm, as jest's
// own summary of a direct run.
import { compareJsonSummaryProject, type Project } from './project.js';

const PROJECT: Project = {
  spec: 'process-warning@4.0.0',
  devDependencies: { jest: '^29.7.0', 'jest-junit': '^16.0.0' },
  test: 'JEST_JUNIT_OUTPUT_DIR="$CI_REPORTS_DIR" jest test/jest.test.js --ci --reporters=default --reporters=jest-junit --json --outputFile=jest-result.json',
  // With a lockfile, as its repository has one: the warm run starts from the cached tree without npm install.
  lockfile: true,
};
compareJsonSummaryProject(PROJECT, { pipeline: 'process-warning', stack: 'jest', resultFile: 'jest-result.json', minPassed: 1, timeoutMs: 300_000 });
