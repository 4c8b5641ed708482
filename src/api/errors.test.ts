import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { registerErrorHandling, parseBody } from './errors.js';
import { z } from 'zod/v3';

const app = Fastify({ logger: false });
registerErrorHandling(app);
app.post('/x', async (req) => {
  const b = parseBody(z.object({ name: z.string(), parse: z.string().optional() }), req.body);
  if (b.parse) JSON.parse(b.parse); // a handler's own parse of something else (a stored payload, say)
  return { ok: true };
});
const post = (payload: string) => app.inject({ method: 'POST', url: '/x', payload, headers: { 'content-type': 'application/json' } });

test('a body that is not JSON: 400 invalid_json', async () => {
  const r = await post('{"name": ');
  assert.equal(r.statusCode, 400);
  assert.equal(r.json().id, 'invalid_json');
});

test('a SyntaxError inside a handler is not the client\'s bad JSON: 500 internal_error, not 400 invalid_json', async () => {
  const r = await post('{"name": "a", "parse": "{broken"}');
  assert.equal(r.statusCode, 500);
  assert.equal(r.json().id, 'internal_error');
});

test('a body of the wrong shape: 422 invalid_params naming the field', async () => {
  const r = await post('{"name": 42}');
  assert.equal(r.statusCode, 422);
  assert.equal(r.json().id, 'invalid_params');
  assert.match(r.json().message, /name: /);
});
