import { test } from 'node:test';
import assert from 'node:assert/strict';
import { placeDynos, type AgentCapacity } from './placement.js';

const agent = (id: string, slots: number | null = null, memoryMb: number | null = null, usable = true): AgentCapacity => ({ id, slots, memoryMb, usable });
const web = (n: number, prefer?: string | null) => ({ key: `web.${n}`, appId: 'app', type: 'web', size: 'standard-1x', prefer });

test('an app\'s web dynos are spread one per agent', () => {
  const r = placeDynos([agent('a'), agent('b')], [], [web(1), web(2)]);
  assert.deepEqual([r.get('web.1'), r.get('web.2')].sort(), ['a', 'b']);
});

test('a third dyno goes to the agent with fewer of the app\'s dynos, then fewer dynos at all', () => {
  const r = placeDynos([agent('a'), agent('b')], [{ appId: 'other', type: 'web', size: 'standard-1x', agentId: 'a' }], [web(1), web(2), web(3)]);
  assert.equal(r.get('web.1'), 'b', 'the emptier agent first');
  assert.equal(r.get('web.2'), 'a');
  assert.equal(r.get('web.3'), 'b', 'b has fewer dynos in all once both hold one web');
});

test('an existing placement is kept while its agent is usable', () => {
  const r = placeDynos([agent('a'), agent('b')], [], [web(1, 'b'), web(2, 'b')]);
  assert.equal(r.get('web.1'), 'b');
  assert.equal(r.get('web.2'), 'a', 'the second is moved only because b already holds a web dyno of the app');
});

test('dynos leave an agent that is lost or revoked', () => {
  const r = placeDynos([agent('a'), agent('b', null, null, false)], [], [web(1, 'b'), web(2, 'a')]);
  assert.equal(r.get('web.1'), 'a');
  assert.equal(r.get('web.2'), 'a');
});

test('slots are honoured: a full agent takes no more, and nothing is placed when every agent is full', () => {
  const placed = [{ appId: 'other', type: 'web', size: 'standard-1x', agentId: 'a' }];
  const r = placeDynos([agent('a', 1), agent('b', 1)], placed, [web(1), web(2)]);
  assert.equal(r.get('web.1'), 'b');
  assert.equal(r.get('web.2'), null);
});

test('memory is honoured by dyno size: a performance-m does not fit 2 GB, a standard-1x does', () => {
  const r = placeDynos([agent('small', null, 2048)], [], [
    { key: 'big', appId: 'app', type: 'web', size: 'performance-m' },
    { key: 'std', appId: 'app', type: 'worker', size: 'standard-1x' },
  ]);
  assert.equal(r.get('big'), null);
  assert.equal(r.get('std'), 'small');
});

test('no usable agent: nothing is placed', () => {
  assert.equal(placeDynos([], [], [web(1)]).get('web.1'), null);
});

test('a private space\'s app: its dynos go only to agents that run spaces (the local agent process), both there; none: unplaced', () => {
  const spaces = { ...agent('local'), spaces: true };
  const spaced = (n: number, prefer?: string | null) => ({ ...web(n, prefer), spaceBound: true });
  const r = placeDynos([agent('remote'), spaces], [], [spaced(1), spaced(2, 'remote')]);
  assert.deepEqual([r.get('web.1'), r.get('web.2')], ['local', 'local'], 'not spread, and a preferred agent that cannot is left');
  assert.equal(placeDynos([agent('remote')], [], [spaced(1)]).get('web.1'), null);
  const plain = placeDynos([agent('remote'), spaces], [], [web(1), web(2)]);
  assert.deepEqual([plain.get('web.1'), plain.get('web.2')].sort(), ['local', 'remote'], 'other apps still spread over both');
});

test('a server-bound app\'s dynos (add-on servers made in the server) go only to the server\'s agent (both on it, not spread); none there: unplaced', () => {
  const server = { ...agent('server'), server: true };
  const spaced = (n: number, prefer?: string | null) => ({ ...web(n, prefer), serverBound: true });
  const r = placeDynos([agent('remote'), server], [], [spaced(1), spaced(2)]);
  assert.deepEqual([r.get('web.1'), r.get('web.2')], ['server', 'server']);
  assert.equal(placeDynos([agent('remote')], [], [spaced(1)]).get('web.1'), null);
  assert.equal(placeDynos([agent('remote'), server], [], [spaced(1, 'remote')]).get('web.1'), 'server', 'a preferred agent that cannot is left');
  const plain = placeDynos([agent('remote'), server], [], [web(1), web(2)]);
  assert.deepEqual([plain.get('web.1'), plain.get('web.2')].sort(), ['remote', 'server'], 'other apps still spread over both');
});

test('an app with add-on servers: its dynos go only to the agent that runs them, both there; that agent away: unplaced', () => {
  const host = agent('local');
  const server = { ...agent('server'), server: true };
  const bound = (n: number, to: string, prefer?: string | null) => ({ ...web(n, prefer), agentBound: to });
  const r = placeDynos([agent('remote'), host, server], [], [bound(1, 'local'), bound(2, 'local', 'remote')]);
  assert.deepEqual([r.get('web.1'), r.get('web.2')], ['local', 'local'], 'not spread, and a preferred agent that cannot is left');
  assert.equal(placeDynos([agent('remote'), server], [], [bound(1, 'server')]).get('web.1'), 'server');
  assert.equal(placeDynos([agent('remote'), agent('local', null, null, false)], [], [bound(1, 'local')]).get('web.1'), null);
});
