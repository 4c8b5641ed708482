// json-schema-traverse@1.0.0 (mocha, its TAP reporter), from the npm registry: the same verdict and counts through Slipway, cold and
// warm, as running its tests directly (devDependencies cut to the test runner).
import { compareTapProject } from './project.js';

compareTapProject({ spec: 'json-schema-traverse@1.0.0', devDependencies: { mocha: '^8.0.1' }, test: 'mocha spec -R tap' }, 'json-schema-traverse', 'mocha', 5);
