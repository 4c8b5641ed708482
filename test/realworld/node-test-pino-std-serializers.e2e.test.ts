// pino-std-serializers@7.0.0 (node:test), from the npm registry: the same verdict and counts through Slipway, cold and
// warm, as running its tests directly (devDependencies cut to the test runner).
import { compareTapProject } from './project.js';

compareTapProject({ spec: 'pino-std-serializers@7.0.0', devDependencies: { '@matteo.collina/tspl': '^0.1.1' }, test: 'node --test --test-reporter=tap test/*.test.js' }, 'pino-std-serializers', 'node:test', 20);
