import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLine, r14Due, r15Lines, R14_REPEAT_MS } from './memory-quota.js';

const MB = 1024 * 1024;

test("Heroku's memory line: used MB and the share of the quota", () => {
  assert.equal(memoryLine(700 * MB, 512), 'Process running mem=700M(136.7%)');
  assert.equal(memoryLine(1024 * MB, 512), 'Process running mem=1024M(200.0%)');
});

test('R14: only over the quota, then again after 20 s at the earliest', () => {
  assert.equal(r14Due(512 * MB, 512, undefined, 0), false);
  assert.equal(r14Due(513 * MB, 512, undefined, 0), true);
  assert.equal(r14Due(600 * MB, 512, 1000, 1000 + R14_REPEAT_MS - 1), false);
  assert.equal(r14Due(600 * MB, 512, 1000, 1000 + R14_REPEAT_MS), true);
});

test('R15: the peak (when measured), the error, the kill', () => {
  assert.deepEqual(r15Lines(1024, 512), ['Process running mem=1024M(200.0%)', 'Error R15 (Memory quota vastly exceeded)', 'Stopping process with SIGKILL']);
  assert.deepEqual(r15Lines(undefined, 512), ['Error R15 (Memory quota vastly exceeded)', 'Stopping process with SIGKILL']);
});
