// chance@1.1.13 (its ava suite, shipped in the tarball), from the npm registry: the same verdict and
// counts through Slipway (ava's TAP), cold and warm, as ava's own summary of a direct run. Its tests
// were written for ava 0.19 with Babel; today's ava runs them as ES modules (Node's
// --experimental-detect-module), and the files whose t.throws() calls still use 0.19's message
// argument are left out.
import { compareTapProject } from './project.js';

compareTapProject({
  spec: 'chance@1.1.13',
  devDependencies: { ava: '^6.1.3', lodash: '^4.17.21' },
  test: 'ava --tap --node-arguments="--experimental-detect-module --no-warnings" test/test.mobile.js test/test.company.js test/test.regional.js test/test.time.js',
}, 'chance', 'ava', 40);
