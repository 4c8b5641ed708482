import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentUsable, LOCAL_LABEL, SERVER_LABEL, SPACES_LABEL, spaceHosts, type AgentRow } from './dyno-agents.js';

const at = Date.parse('2026-11-29T22:00:00Z');
const row = (o: Partial<AgentRow>): AgentRow => ({
  id: 'a', name: 'far', token_hash: 'h', created_at: '2026-11-29T21:00:00Z', revoked_at: null, last_seen_at: '2026-11-29T21:59:50Z',
  protocol_version: 1, slots: 1, memory_mb: 1024, address: '10.0.0.2', hostname: 'far', labels: null, ...o,
});

test('agentUsable: registered and heard from within the bound; never an agent that only used its token', () => {
  assert.equal(agentUsable(row({}), 30_000, at), true);
  assert.equal(agentUsable(row({ protocol_version: null, address: null, hostname: null }), 30_000, at), false, 'created, never registered, its token used once');
  assert.equal(agentUsable(row({ protocol_version: null, address: null, labels: JSON.stringify([SERVER_LABEL]) }), 30_000, at), true, 'the server\'s own agent');
  assert.equal(agentUsable(row({ revoked_at: '2026-11-29T21:59:00Z' }), 30_000, at), false);
  assert.equal(agentUsable(row({ last_seen_at: '2026-11-29T21:59:00Z' }), 30_000, at), false, 'silent for a minute');
});

test('spaceHosts: agents that run spaces; once some are on the overlay, only those (a local agent on loopback is off it)', () => {
  const spaces = JSON.stringify([SPACES_LABEL]);
  const local = row({ id: 'local', address: '127.0.0.1', labels: JSON.stringify([SPACES_LABEL, LOCAL_LABEL]) });
  const [a, b, plain] = [row({ id: 'a', address: '10.0.0.2', labels: spaces }), row({ id: 'b', address: '10.0.0.3', labels: spaces }), row({ id: 'plain', address: '10.0.0.4' })];
  const all = () => true;
  assert.deepEqual([...spaceHosts([local, plain], all)], ['local'], 'the embedded default: the local agent runs the spaces');
  assert.deepEqual([...spaceHosts([local, a, b, plain], all)].sort(), ['a', 'b'], 'agents on the overlay only, never the plain one');
  assert.deepEqual([...spaceHosts([local, a, b], (x) => x.id !== 'a')], ['b'], 'only usable ones');
  assert.deepEqual([...spaceHosts([{ ...local, address: '10.0.0.1' }, a], all)].sort(), ['a', 'local'], 'a local agent advertising a routable address joins');
});
