import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENDED, resumeAt, sending } from './outliving-one-off.js';

const start = { seq: 0, before: 0, after: 0, ended: false };

test('a batch of output is recorded from where the last one ended; one sent again keeps its start', () => {
  const one = sending(start, 1, undefined); // `up` only
  assert.deepEqual(one, { seq: 1, before: 0, after: 0, ended: false });
  const two = sending(one, 2, 120);
  assert.deepEqual(two, { seq: 2, before: 0, after: 120, ended: false });
  const again = sending(two, 2, 150); // refused and sent again, with more in it
  assert.deepEqual(again, { seq: 2, before: 0, after: 150, ended: false });
  assert.deepEqual(sending(again, 3, ENDED), { seq: 3, before: 150, after: 150, ended: true });
});

test('a new process goes on after the last batch the server recorded, or sends the unrecorded one again', () => {
  const sent = { seq: 4, before: 300, after: 420, ended: false };
  assert.equal(resumeAt(sent, 4), 420, 'recorded: after it');
  assert.equal(resumeAt(sent, 3), 300, 'not recorded: from its start, the same number');
  assert.equal(resumeAt({ ...sent, ended: true }, 4), 'ended', 'its exit recorded: only finish');
  assert.equal(resumeAt({ ...sent, ended: true }, 3), 300, 'its exit not recorded: the rest and the exit again');
  assert.equal(resumeAt(start, 0), 0, 'nothing sent yet');
});
