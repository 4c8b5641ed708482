import test from 'node:test';
import assert from 'node:assert/strict';
import { KeyedSerial } from './keyed-serial.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('work under one key runs one at a time in order; other keys do not wait; a failure does not block the next', async () => {
  const serial = new KeyedSerial();
  const seen: string[] = [];
  const job = (name: string, ms: number, fail = false) => async () => { seen.push(`${name}+`); await tick(ms); seen.push(`${name}-`); if (fail) throw new Error(name); return name; };
  const a1 = serial.run('a', job('a1', 30, true));
  const a2 = serial.run('a', job('a2', 1));
  const b1 = serial.run('b', job('b1', 1));
  await assert.rejects(a1, /a1/);
  assert.equal(await a2, 'a2');
  assert.equal(await b1, 'b1');
  assert.deepEqual(seen.filter((x) => x.startsWith('a')), ['a1+', 'a1-', 'a2+', 'a2-']);
  assert.ok(seen.indexOf('b1-') < seen.indexOf('a1-'), 'b did not wait for a');
});
