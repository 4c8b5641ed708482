// fastq@1.17.1 (tape, with promises and async workers), from the npm registry: the same verdict and counts through Slipway, cold and
// warm, as running its tests directly (devDependencies cut to the test runner).
import { compareTapProject } from './project.js';

compareTapProject({ spec: 'fastq@1.17.1', devDependencies: { tape: '^5.0.0' }, test: 'tape test/test.js test/promise.js' }, 'fastq', 'tape', 50);
