// Runs this node's share of the test files: file i goes to node i % CI_NODE_TOTAL (Heroku CI's
// CI_NODE_INDEX / CI_NODE_TOTAL). The files load into this one process, so their tests run one
// after another: the split alone decides the speed-up. Run with --test-reporter=tap.
const { readdirSync } = require('node:fs');
const path = require('node:path');

const total = Number(process.env.CI_NODE_TOTAL || 1);
const index = Number(process.env.CI_NODE_INDEX || 0);
const files = readdirSync(path.join(__dirname, 'test')).filter((f) => f.endsWith('.test.js')).sort()
  .filter((_, i) => i % total === index);
console.error(`node ${index} of ${total} runs ${files.join(' ')}`);
for (const f of files) require(path.join(__dirname, 'test', f));
