import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogShipper } from './log-shipper.js';

test('a server that is away: lines wait in a bounded buffer, the oldest dropped and counted, then sent in order', async () => {
  let up = false;
  const got: string[] = [];
  let dropped = 0;
  const s = new LogShipper({ maxLines: 3, intervalMs: 10_000, send: async (b) => { if (!up) throw new Error('away'); got.push(...b.lines.map((l) => l.line)); dropped += b.dropped; } });
  for (const l of ['a', 'b', 'c', 'd', 'e']) s.push('app', l);
  await s.flush();
  assert.deepEqual(s.pending(), { lines: 3, dropped: 2 });
  up = true;
  await s.flush();
  assert.deepEqual(got, ['c', 'd', 'e']);
  assert.equal(dropped, 2);
  assert.deepEqual(s.pending(), { lines: 0, dropped: 0 });
  s.close();
});
