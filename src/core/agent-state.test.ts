import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentState } from './agent-state.js';

const t0 = Date.parse('2026-11-29T12:00:00.000Z');

test('a revoked agent is revoked whatever it last did', () => {
  assert.equal(agentState({ revoked_at: '2026-11-29T11:00:00.000Z', last_seen_at: '2026-11-29T12:00:00.000Z' }, t0, 30_000), 'revoked');
});

test('an agent never seen is offline', () => {
  assert.equal(agentState({ revoked_at: null, last_seen_at: null }, t0, 30_000), 'offline');
});

test('online within the window, offline after it', () => {
  assert.equal(agentState({ revoked_at: null, last_seen_at: '2026-11-29T11:59:40.000Z' }, t0, 30_000), 'online');
  assert.equal(agentState({ revoked_at: null, last_seen_at: '2026-11-29T11:59:20.000Z' }, t0, 30_000), 'offline');
});
