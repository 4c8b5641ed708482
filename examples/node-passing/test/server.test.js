const { test } = require('node:test');
const assert = require('node:assert/strict');
const { createServer } = require('../server.js');

test('answers hello', async () => {
  const server = createServer().listen(0);
  await new Promise((r) => server.once('listening', r));
  const res = await fetch(`http://127.0.0.1:${server.address().port}/`);
  assert.equal(await res.text(), 'hello\n');
  server.close();
});

test('runs under CI', () => assert.equal(process.env.CI, 'true'));
