import { test } from 'node:test';
import assert from 'node:assert/strict';
import { age, duration, runDuration, shortSha, statusTone } from './format.js';

test('ages and durations', () => {
  const t = Date.UTC(2026, 0, 2);
  assert.equal(age(new Date(t - 5_000).toISOString(), t), '5s');
  assert.equal(age(new Date(t - 125_000).toISOString(), t), '2m');
  assert.equal(age(new Date(t - 3 * 3600_000).toISOString(), t), '3h');
  assert.equal(age(new Date(t - 86_400_000).toISOString(), t), '1d');
  assert.equal(age(null, t), '');
  assert.equal(duration(850), '850ms');
  assert.equal(duration(185_000), '3m 05s');
  assert.equal(duration(7_260_000), '2h 01m');
  assert.equal(runDuration(new Date(t - 10_000).toISOString(), null, t), '10s');
  assert.equal(runDuration(new Date(t - 10_000).toISOString(), new Date(t - 4_000).toISOString(), t), '6s');
});

test('short shas and status tones', () => {
  assert.equal(shortSha('0123456789abcdef'), '0123456');
  assert.equal(shortSha(null), '');
  assert.equal(statusTone('succeeded'), 'ok');
  assert.equal(statusTone('failed'), 'bad');
  assert.equal(statusTone('errored'), 'warn');
  assert.equal(statusTone('running'), 'busy');
  assert.equal(statusTone('pending'), 'idle');
});
