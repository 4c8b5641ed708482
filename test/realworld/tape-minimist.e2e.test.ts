// minimist@1.2.8 (tape), from the npm registry: the same verdict and counts through Slipway, cold and
// warm, as running its tests directly (devDependencies cut to the test runner).
import { compareTapProject } from './project.js';

compareTapProject({ spec: 'minimist@1.2.8', devDependencies: { tape: '^5.6.3', 'in-publish': '^2.0.1' }, test: 'tape test/*.js' }, 'minimist', 'tape', 100);
