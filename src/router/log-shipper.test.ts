import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogShipper } from './log-shipper.js';
import { droppedAppsHeader, parseWireLines } from './router-wire.js';

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

test('a full buffer keeps the newest lines: 200,000 over a limit of 50,000 leave the newest (room made a twentieth at a time), the rest counted', async () => {
  const got: string[] = [];
  const s = new LogShipper({ maxLines: 50_000, intervalMs: 10_000, send: async (b) => { got.push(...linesOf(b.parts)); } });
  for (let i = 0; i < 200_000; i++) s.push('app', `l${i}`);
  const { lines, dropped } = s.pending();
  assert.ok(lines > 47_500 && lines <= 50_000, `${lines} kept`);
  assert.equal(lines + dropped, 200_000);
  await s.flush();
  assert.deepEqual(got, Array.from({ length: lines }, (_, i) => `l${200_000 - lines + i}`));
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

test('a full buffer drops the lines of the app that holds the most, its oldest first (a chunk\'s apps read then); each count goes once with a batch', async () => {
  let up = false;
  const said: Array<{ appId: string; count: number }> = [];
  const got: string[] = [];
  const s = new LogShipper({ maxLines: 3, intervalMs: 10_000, send: async (b) => { if (!up) throw new Error('away'); got.push(...linesOf(b.parts)); said.push(...b.droppedApps.map((d) => ({ appId: d.appId, count: d.count }))); } });
  s.pushWire(Buffer.from('noisy\t1.000\tat=info a\nquiet\t1.000\tat=info b\nnoisy\t1.001\tat=info c\n'), 3);
  s.push('quiet', 'at=info d');
  s.push('noisy', 'at=info e');
  await s.flush();
  assert.deepEqual(s.pending(), { lines: 3, dropped: 2 });
  assert.deepEqual(s.droppedByApp().map((d) => [d.appId, d.count]), [['noisy', 2]]);
  assert.ok(s.droppedByApp().every((d) => Date.parse(d.since) <= Date.now()));
  up = true;
  await s.flush();
  assert.deepEqual(got, ['at=info b', 'at=info d', 'at=info e'], 'the quiet app\'s lines kept, in order');
  assert.deepEqual(said, [{ appId: 'noisy', count: 2 }]);
  assert.deepEqual(s.droppedByApp(), []);
  s.push('quiet', 'at=info f');
  await s.flush();
  assert.equal(said.length, 1, 'said once');
  s.close();
});

test('one app\'s flood cannot push out another app\'s older lines: it loses its own', async () => {
  let up = false;
  const got: string[] = [];
  const s = new LogShipper({ maxLines: 1000, intervalMs: 10_000, send: async (b) => { if (!up) throw new Error('away'); got.push(...parseWireLines(bodyOf(b.parts).toString()).lines.map((l) => `${l.app_id} ${l.line}`)); } });
  for (let i = 0; i < 10; i++) s.push('quiet', `q${i}`);
  for (let c = 0; c < 50; c++) s.pushWire(Buffer.from(Array.from({ length: 100 }, (_, i) => `noisy\t1.000\tn${c * 100 + i}\n`).join('')), 100);
  for (let i = 0; i < 2000; i++) s.push('noisy', `m${i}`);
  const { lines, dropped } = s.pending();
  assert.ok(lines <= 1000 && lines >= 990, `${lines} lines kept`);
  assert.equal(lines + dropped, 7010);
  assert.deepEqual(s.droppedByApp().map((d) => [d.appId, d.count]), [['noisy', dropped]]);
  up = true;
  await s.flush();
  assert.deepEqual(got.filter((l) => l.startsWith('quiet')), Array.from({ length: 10 }, (_, i) => `quiet q${i}`));
  const noisy = got.filter((l) => l.startsWith('noisy'));
  assert.ok(noisy.every((l) => /^noisy m\d+$/.test(l)), 'its oldest (the chunks) went first');
  assert.equal(noisy.at(-1), 'noisy m1999');
  assert.ok(noisy.map((l) => Number(l.slice(7))).every((n, i, a) => i === 0 || n > a[i - 1]!), 'the noisy app\'s newest kept, in order');
  s.close();
});

test('drops of many apps are said a hundred apps a batch, in a header a Node server takes (16 KiB of headers)', async () => {
  let up = false;
  const batches: Array<Array<{ appId: string; count: number; since: string }>> = [];
  const s = new LogShipper({ maxLines: 100, intervalMs: 10_000, send: async (b) => { if (!up) throw new Error('away'); batches.push(b.droppedApps); } });
  try {
    // Ids as long as a wire line takes.
    for (let i = 0; i < 400; i++) s.push(`${'a'.repeat(60)}${String(i).padStart(4, '0')}`, 'x');
    const apps = s.droppedByApp().length;
    assert.ok(apps > 200 && apps <= 305, `${apps} apps lost lines`);
    up = true;
    for (const line of ['y', 'z']) { await s.flush(); s.push('last', line); }
    await s.flush();
    assert.deepEqual(batches.map((b) => b.length), [100, 100, apps - 200]);
    assert.ok(batches.every((b) => droppedAppsHeader(b).length < 10 * 1024), batches.map((b) => droppedAppsHeader(b).length).join(' '));
    assert.deepEqual(s.droppedByApp(), []);
  } finally { s.close(); }
});
