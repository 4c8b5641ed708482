import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogShipper } from './log-shipper.js';
import { parseWireLines } from './router-wire.js';

const bodyOf = (parts: Array<Buffer | string>) => Buffer.concat(parts.map((p) => Buffer.from(p)));
const linesOf = (parts: Array<Buffer | string>) => parseWireLines(bodyOf(parts).toString()).lines.map((l) => l.line);

test('a server that is away: lines wait in a bounded buffer, the oldest dropped and counted, then sent in order', async () => {
  let up = false;
  const got: string[] = [];
  let dropped = 0;
  const s = new LogShipper({ maxLines: 3, intervalMs: 10_000, send: async (b) => { if (!up) throw new Error('away'); got.push(...linesOf(b.parts)); dropped += b.dropped; } });
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
  const s = new LogShipper({ maxLines: 4, intervalMs: 10_000, send: async (b) => { got.push(linesOf(b.parts)); dropped += b.dropped; if (got.length === 1) await new Promise<void>((r) => { release = r; }); } });
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

test('chunks of nginx\'s wire lines go as they came, in order with single lines, in batches of at most 1 MiB', async () => {
  const bodies: Buffer[] = [];
  const s = new LogShipper({ maxLines: 100_000, intervalMs: 10_000, send: async (b) => { bodies.push(bodyOf(b.parts)); } });
  const chunk = (n: number, tag: string) => Buffer.from(Array.from({ length: n }, (_, i) => `app\t1764563200.123\t${tag}${i}\n`).join(''));
  s.push('app', 'first', '1764563200.001');
  s.pushWire(chunk(30_000, 'x'), 30_000);
  s.push('app', 'between');
  s.pushWire(chunk(30_000, 'y'), 30_000);
  await s.flush();
  const all = bodies.flatMap((b) => parseWireLines(b.toString()).lines);
  assert.equal(all.length, 60_002);
  assert.deepEqual([all[0], all[1]!.line, all[30_001]!.line, all[30_002]!.line, all[60_001]!.line], [{ app_id: 'app', line: 'first', at: '2025-12-01T04:26:40.001Z' }, 'x0', 'between', 'y0', 'y29999']);
  assert.ok(bodies.every((b) => b.length <= 1 << 20), bodies.map((b) => b.length).join(' '));
  assert.ok(bodies.length >= 2);
  s.close();
});

test('a full buffer of chunks drops the oldest chunks whole, and counts their lines', () => {
  const s = new LogShipper({ maxLines: 5, intervalMs: 10_000, send: async () => {} });
  s.pushWire(Buffer.from('a\t1\tx\na\t1\ty\n'), 2);
  s.pushWire(Buffer.from('a\t1\tz\n'.repeat(4)), 4);
  assert.deepEqual(s.pending(), { lines: 4, dropped: 2 });
  s.pushWire(Buffer.from('a\t1\tz\n'.repeat(9)), 9);
  assert.deepEqual(s.pending(), { lines: 9, dropped: 6 }, 'a chunk larger than the buffer is kept, alone');
  s.close();
});

test('dropped lines are counted per app, a chunk\'s apps read when it is dropped; each count goes once with a batch', async () => {
  let up = false;
  const said: Array<{ appId: string; count: number }> = [];
  const s = new LogShipper({ maxLines: 3, intervalMs: 10_000, send: async (b) => { if (!up) throw new Error('away'); said.push(...b.droppedApps.map((d) => ({ appId: d.appId, count: d.count }))); } });
  s.pushWire(Buffer.from('noisy\t1.000\tat=info a\nquiet\t1.000\tat=info b\nnoisy\t1.001\tat=info c\n'), 3);
  s.push('quiet', 'at=info d');
  s.push('noisy', 'at=info e');
  await s.flush();
  assert.deepEqual(s.pending(), { lines: 2, dropped: 3 });
  assert.deepEqual(s.droppedByApp().map((d) => [d.appId, d.count]), [['noisy', 2], ['quiet', 1]]);
  assert.ok(s.droppedByApp().every((d) => Date.parse(d.since) <= Date.now()));
  up = true;
  await s.flush();
  assert.deepEqual(said, [{ appId: 'noisy', count: 2 }, { appId: 'quiet', count: 1 }]);
  assert.deepEqual(s.droppedByApp(), []);
  s.push('quiet', 'at=info f');
  await s.flush();
  assert.equal(said.length, 2, 'said once');
  s.close();
});
