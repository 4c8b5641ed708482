import test from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import Fastify from 'fastify';
import { noSchemaCompilers } from './schema-compilers.js';

const require = createRequire(import.meta.url);

test('without fastify\'s schema compilers: routes answer and errors serialize as before, ajv and fast-json-stringify\'s compiler are never loaded', async () => {
  const app = Fastify({ schemaController: { compilersFactory: noSchemaCompilers } });
  app.post('/echo', async (req) => ({ got: req.body, at: new Date(0) }));
  app.get('/boom', async () => { throw Object.assign(new Error('no such thing'), { statusCode: 404 }); });
  const echo = await app.inject({ method: 'POST', url: '/echo', payload: { a: [1, 'two'] } });
  assert.deepEqual([echo.statusCode, echo.json()], [200, { got: { a: [1, 'two'] }, at: '1970-01-01T00:00:00.000Z' }]);
  const boom = await app.inject({ method: 'GET', url: '/boom' });
  assert.deepEqual([boom.statusCode, boom.json().message], [404, 'no such thing']);
  const loaded = Object.keys(require.cache);
  assert.ok(loaded.some((f) => f.includes('/node_modules/fastify/')), 'fastify itself is in the CommonJS cache');
  for (const pkg of ['/node_modules/ajv/', '/node_modules/@fastify/ajv-compiler/', '/node_modules/@fastify/fast-json-stringify-compiler/']) {
    assert.ok(!loaded.some((f) => f.includes(pkg)), `${pkg} is not loaded`);
  }
  await app.close();
});

test('a route given a schema fails at start, naming the route and what to do', async () => {
  const app = Fastify({ schemaController: { compilersFactory: noSchemaCompilers } });
  app.post('/typed', { schema: { body: { type: 'object' } } }, async () => ({}));
  await assert.rejects(async () => { await app.ready(); }, /POST \/typed: route schemas are not compiled here; check the body with zod/);
});
