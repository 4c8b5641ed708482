// Runs this node's share of the test files: file i goes to node i % CI_NODE_TOTAL (Heroku CI's
// CI_NODE_INDEX / CI_NODE_TOTAL), one file at a time so the split alone decides the speed-up.
const { readdirSync } = require('node:fs');
const { spawnSync } = require('node:child_process');

const total = Number(process.env.CI_NODE_TOTAL || 1);
const index = Number(process.env.CI_NODE_INDEX || 0);
const files = readdirSync('test').filter((f) => f.endsWith('.test.js')).sort()
  .filter((_, i) => i % total === index).map((f) => `test/${f}`);
console.error(`node ${index} of ${total} runs ${files.join(' ')}`);
const r = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...files], { stdio: 'inherit' });
process.exit(r.status ?? 1);
