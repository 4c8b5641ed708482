const { test } = require('node:test');
const assert = require('node:assert/strict');

test('slow check 3', async () => {
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(3 * 2, 6);
});
