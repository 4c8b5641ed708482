import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nextReleaseStatus } from './release-status.js';

test('pending → succeeded when the release phase passes or there is none', () => {
  assert.equal(nextReleaseStatus('pending', { type: 'release-phase-passed' }), 'succeeded');
  assert.equal(nextReleaseStatus('pending', { type: 'no-release-phase' }), 'succeeded');
});
test('pending → failed when the release phase fails', () => assert.equal(nextReleaseStatus('pending', { type: 'release-phase-failed' }), 'failed'));
test('finished releases never change', () => {
  assert.throws(() => nextReleaseStatus('succeeded', { type: 'release-phase-failed' }));
  assert.throws(() => nextReleaseStatus('failed', { type: 'release-phase-passed' }));
});
