import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sameTestsOnEveryNode } from './parallel-hint.js';

const on = (index: number, ...names: string[]) => names.map((description) => ({ description, test_node: { index } }));

test('nodes that all ran the same tests are noticed; split or single-node runs are not', () => {
  assert.equal(sameTestsOnEveryNode([...on(0, 'a', 'b'), ...on(1, 'b', 'a')], 2), true);
  assert.equal(sameTestsOnEveryNode([...on(0, 'a'), ...on(1, 'b')], 2), false, 'split');
  assert.equal(sameTestsOnEveryNode([...on(0, 'a', 'b'), ...on(1, 'a')], 2), false, 'partly split');
  assert.equal(sameTestsOnEveryNode([...on(0, 'a'), ...on(1, 'a')], 3), false, 'a node without cases');
  assert.equal(sameTestsOnEveryNode(on(0, 'a'), 1), false, 'one node');
});
