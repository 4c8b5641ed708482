const { test } = require('node:test');
const assert = require('node:assert/strict');

test('slow check 8', async () => {
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(8 * 2, 16);
});
