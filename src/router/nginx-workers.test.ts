import test from 'node:test';
import assert from 'node:assert/strict';
import { RetiringWorkers } from './nginx-workers.js';

test('a dyno that left the table is in flight while a worker from before the reload lives', () => {
  const r = new RetiringWorkers(new Set(['d1', 'd2']));
  assert.deepEqual(r.inFlight(() => [10]), {}, 'nothing retiring: nothing in flight');
  r.reloaded([10], new Set(['d2', 'd3']));
  assert.deepEqual(r.inFlight(() => [10, 11]), { d1: 1 }, 'd2 is still served: not counted');
  assert.deepEqual(r.inFlight(() => [11]), {}, 'the old worker exited: d1 is drained');
});

test('two reloads in a row: each old worker keeps the dynos of its own configuration', () => {
  const r = new RetiringWorkers(new Set(['d1']));
  r.reloaded([10], new Set(['d1', 'd2']));
  r.reloaded([10, 11], new Set(['d3']));
  assert.deepEqual(r.inFlight(() => [10, 11, 12]), { d1: 2, d2: 1 });
  assert.deepEqual(r.inFlight(() => [11, 12]), { d1: 1, d2: 1 });
  assert.deepEqual(r.inFlight(() => [12]), {});
});

test('a dyno that comes back is served again and not counted', () => {
  const r = new RetiringWorkers(new Set(['d1']));
  r.reloaded([10], new Set());
  r.reloaded([11], new Set(['d1']));
  assert.deepEqual(r.inFlight(() => [10, 11, 12]), {});
});
