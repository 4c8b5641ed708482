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

test('lines dropped while a batch is sent: only what is left of that batch goes after it; a full buffer keeps the newest', async () => {
  const got: string[][] = [];
  let release: () => void = () => {};
  let dropped = 0;
  const s = new LogShipper({ maxLines: 4, intervalMs: 10_000, send: async (b) => { got.push(b.lines.map((l) => l.line)); dropped += b.dropped; if (got.length === 1) await new Promise<void>((r) => { release = r; }); } });
  for (const l of ['a', 'b', 'c']) s.push('app', l);
  const first = s.flush();
  // While a, b, c are on their way: three more lines overflow the buffer of 4, dropping a and b (counted, though sent).
  for (const l of ['d', 'e', 'f']) s.push('app', l);
  assert.deepEqual(s.pending(), { lines: 4, dropped: 2 });
  release();
  await first;
  assert.deepEqual(got, [['a', 'b', 'c'], ['d', 'e', 'f']], 'c leaves with its batch; d, e, f are sent next, none twice');
  assert.equal(dropped, 2, 'the server is told of the two dropped lines, once');
  assert.deepEqual(s.pending(), { lines: 0, dropped: 0 });
  s.close();
});

test('a full buffer keeps the newest lines: 200,000 over a limit of 50,000 leave the newest 50,000, the rest counted', () => {
  const s = new LogShipper({ maxLines: 50_000, intervalMs: 10_000, send: async () => {} });
  for (let i = 0; i < 200_000; i++) s.push('app', `l${i}`);
  assert.deepEqual(s.pending(), { lines: 50_000, dropped: 150_000 });
  s.close();
});
