import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tableChanges, type RouterApp } from './router-wire.js';

const app = (id: string, port = 1): RouterApp => ({ id, name: `n${id}`, hostnames: [], maintenance: false, internal: false, trusted: null, dynos: [{ id: `d${id}`, host: '127.0.0.1', port, name: 'web.1' }] });

test('tableChanges sends changed and new apps whole and names removed ones', () => {
  const before = new Map([['a', JSON.stringify(app('a'))], ['b', JSON.stringify(app('b'))], ['c', JSON.stringify(app('c'))]]);
  const after = new Map([['a', app('a')], ['b', app('b', 2)], ['d', app('d')]]);
  assert.deepEqual(tableChanges(before, after, 7), [
    { type: 'app', version: 7, app: app('b', 2) },
    { type: 'app', version: 7, app: app('d') },
    { type: 'gone', version: 7, id: 'c' },
  ]);
});

test('tableChanges of an unchanged table is empty', () => {
  const t = new Map([['a', app('a')]]);
  assert.deepEqual(tableChanges(new Map([['a', JSON.stringify(app('a'))]]), t, 3), []);
});
