import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextStatus, aggregateRunStatus, InvalidTransition, STATUSES, isTerminal } from './test-run-status.js';

test('pending → creating on provision', () => assert.equal(nextStatus('pending', { type: 'provision' }), 'creating'));
test('creating → creating on provision (add-ons, then the workspace)', () => assert.equal(nextStatus('creating', { type: 'provision' }), 'creating'));
test('creating → building on build', () => assert.equal(nextStatus('creating', { type: 'build' }), 'building'));
test('pending → building on build (no add-ons to create)', () => assert.equal(nextStatus('pending', { type: 'build' }), 'building'));
test('building → running on test', () => assert.equal(nextStatus('building', { type: 'test' }), 'running'));
test('running → succeeded on finish', () => assert.equal(nextStatus('running', { type: 'finish', outcome: 'succeeded' }), 'succeeded'));
test('running → failed on finish', () => assert.equal(nextStatus('running', { type: 'finish', outcome: 'failed' }), 'failed'));
test('any live status → errored on error', () => {
  for (const s of ['pending', 'creating', 'building', 'running'] as const) assert.equal(nextStatus(s, { type: 'error' }), 'errored');
});
test('any live status → cancelled on cancel', () => {
  for (const s of ['pending', 'creating', 'building', 'running'] as const) assert.equal(nextStatus(s, { type: 'cancel' }), 'cancelled');
});
test('terminal statuses never change', () => {
  for (const s of STATUSES.filter(isTerminal)) {
    assert.throws(() => nextStatus(s, { type: 'error' }), InvalidTransition);
    assert.throws(() => nextStatus(s, { type: 'cancel' }), InvalidTransition);
  }
});
test('steps cannot be skipped or repeated', () => {
  assert.throws(() => nextStatus('pending', { type: 'test' }), InvalidTransition);
  assert.throws(() => nextStatus('building', { type: 'finish', outcome: 'succeeded' }), InvalidTransition);
  assert.throws(() => nextStatus('running', { type: 'build' }), InvalidTransition);
});
test('run aggregates: errored beats failed beats succeeded', () => {
  assert.equal(aggregateRunStatus(['succeeded', 'failed', 'errored']), 'errored');
  assert.equal(aggregateRunStatus(['succeeded', 'failed']), 'failed');
  assert.equal(aggregateRunStatus(['succeeded', 'succeeded']), 'succeeded');
  assert.equal(aggregateRunStatus(['cancelled', 'succeeded']), 'cancelled');
});
test('run with live nodes shows the furthest live step', () => {
  assert.equal(aggregateRunStatus(['succeeded', 'running', 'pending']), 'running');
  assert.equal(aggregateRunStatus(['building', 'pending']), 'building');
  assert.equal(aggregateRunStatus([]), 'pending');
});
