import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentsSettled } from './agents-settled.js';

const usable = new Set(['a1', 'a2']);

test('settled once every placed dyno is reported past starting (up or crashed)', () => {
  const desired = [{ id: 'd1', agent_id: 'a1' }, { id: 'd2', agent_id: 'a2' }];
  assert.equal(agentsSettled(desired, [], usable), false);
  assert.equal(agentsSettled(desired, [{ dyno_id: 'd1', agent_id: 'a1', state: 'up' }, { dyno_id: 'd2', agent_id: 'a2', state: 'starting' }], usable), false);
  assert.equal(agentsSettled(desired, [{ dyno_id: 'd1', agent_id: 'a1', state: 'up' }, { dyno_id: 'd2', agent_id: 'a2', state: 'crashed' }], usable), true);
  assert.equal(agentsSettled(desired, [{ dyno_id: 'd1', agent_id: 'a1', state: 'up' }, { dyno_id: 'd2', agent_id: 'a2', state: 'up' }, { dyno_id: 'old', agent_id: 'a1', state: 'up' }], usable), true, 'an old dyno still draining does not hold it');
});

test('dynos not placed, or on an agent that is lost, are not waited for', () => {
  assert.equal(agentsSettled([{ id: 'd1', agent_id: null }, { id: 'd2', agent_id: 'gone' }], [], usable), true);
});

test('no dyno wanted: settled once none is reported any more', () => {
  assert.equal(agentsSettled([], [{ dyno_id: 'd1', agent_id: 'a1', state: 'up' }], usable), false);
  assert.equal(agentsSettled([], [], usable), true);
  assert.equal(agentsSettled([], [{ dyno_id: 'd1', agent_id: 'gone', state: 'up' }], usable), true, 'the last report of a lost agent is not waited on');
});
