// The start-up collection drops what is unreachable and leaves V8's flags as they were: no `gc`
// function for contexts made afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { collectStartupGarbage } from './server-heap.js';

test('collectStartupGarbage frees what is unreachable and puts the flags back', { timeout: 30_000 }, () => {
  // Over 10 MB that nothing holds.
  const holder: { junk?: string[] } = { junk: Array.from({ length: 200_000 }, (_, i) => `garbage ${i} `.repeat(8)) };
  // Measured while still held, then let go: the collection must find it unreachable.
  const before = v8.getHeapStatistics().used_heap_size;
  delete holder.junk;
  const ms = collectStartupGarbage();
  assert.ok(ms >= 0);
  assert.ok(v8.getHeapStatistics().used_heap_size < before - 10 * 2 ** 20, 'the unreachable strings are gone');
  assert.equal(vm.runInNewContext('typeof gc'), 'undefined', 'no gc function for contexts made afterwards');
});
