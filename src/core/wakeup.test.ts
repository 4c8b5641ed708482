import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Wakeup } from './wakeup.js';

test('wakeup: notify ends every wait at once; a wait not notified ends at its time; nothing is left waiting', { timeout: 10_000 }, async () => {
  const w = new Wakeup();
  const t0 = Date.now();
  const waits = [w.wait(5000), w.wait(5000)];
  assert.equal(w.size, 2);
  w.notify();
  await Promise.all(waits);
  assert.ok(Date.now() - t0 < 1000, `notified waits ended in ${Date.now() - t0} ms`);
  assert.equal(w.size, 0);
  const t1 = Date.now();
  await w.wait(50);
  assert.ok(Date.now() - t1 >= 45, 'an unnotified wait lasts its time');
  assert.equal(w.size, 0);
  const ac = new AbortController();
  const aborted = w.wait(5000, ac.signal);
  ac.abort();
  await aborted;
  assert.equal(w.size, 0, 'an aborted wait leaves nothing behind');
});
