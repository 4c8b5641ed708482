import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sseEvent } from './sse.js';

test('each log line becomes a data: line of one event, ended by a blank line', () => {
  assert.equal(sseEvent('a app[web.1]: one\nb app[web.1]: two\n'), 'data: a app[web.1]: one\ndata: b app[web.1]: two\n\n');
});

test('no lines is a comment, not an empty event', () => {
  assert.equal(sseEvent(''), ': no lines\n\n');
});

test('carriage returns cannot split an event', () => {
  assert.equal(sseEvent('x\r\n'), 'data: x\n\n');
});
