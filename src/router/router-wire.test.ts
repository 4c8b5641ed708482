import { test } from 'node:test';
import assert from 'node:assert/strict';
import { droppedAppsHeader, parseDroppedApps, parseWireLines, tableChanges, wireLine, wireMs, type RouterApp } from './router-wire.js';

const app = (id: string, port = 1): RouterApp => ({ id, name: `n${id}`, hostnames: [], maintenance: false, internal: false, trusted: null, dynos: [{ id: `d${id}`, host: '127.0.0.1', port, name: 'web.1' }] });

test('tableChanges sends changed and new apps whole and names removed ones', () => {
  const before = new Map([['a', JSON.stringify(app('a'))], ['b', JSON.stringify(app('b'))], ['c', JSON.stringify(app('c'))]]);
  const after = new Map([['a', app('a')], ['b', app('b', 2)], ['d', app('d')]]);
  assert.deepEqual(tableChanges(before, after, 7), [
    { type: 'app', version: 7, app: app('b', 2) },
    { type: 'app', version: 7, app: app('d') },
    { type: 'gone', version: 7, id: 'c' },
  ]);
});

test('tableChanges of an unchanged table is empty', () => {
  const t = new Map([['a', app('a')]]);
  assert.deepEqual(tableChanges(new Map([['a', JSON.stringify(app('a'))]]), t, 3), []);
});

test('wire lines: app id, time and line between tabs; a newline in a line cannot start another app\'s line', () => {
  const text = wireLine('app-1', 'at=info path="/"', '1764563200.123') + wireLine('app-2', 'a\nother\t1764563200.000\tforged') + 'app-3\t-\tno time\n';
  const { lines, bad } = parseWireLines(text);
  assert.equal(bad, 0);
  assert.deepEqual(lines.map((l) => [l.app_id, l.line]), [['app-1', 'at=info path="/"'], ['app-2', 'a\\nother\t1764563200.000\tforged'], ['app-3', 'no time']]);
  assert.equal(lines[0]!.at, '2025-12-01T04:26:40.123Z');
  assert.match(lines[1]!.at!, /^\d{4}-\d\d-\d\dT/, 'now');
  assert.equal(lines[2]!.at, undefined, 'a time that is not one: the server\'s');
});

test('what is not a wire line, or too long, is counted and left out; the rest is kept', () => {
  const { lines, bad } = parseWireLines(`no tabs\n\tempty id\n${'i'.repeat(65)}\t1\tlong id\napp\t1\t${'x'.repeat(16_385)}\napp\t1764563200.5\tkept`);
  assert.equal(bad, 4);
  assert.deepEqual(lines, [{ app_id: 'app', line: 'kept', at: '2025-12-01T04:26:40.500Z' }]);
});

test('the dropped-apps header: what a router writes reads back; entries that do not read as one are left out', () => {
  const since = '2026-12-03T10:00:00.123Z';
  const h = droppedAppsHeader([{ appId: 'app-1', count: 12, since }, { appId: 'b_2', count: 1, since }]);
  assert.deepEqual(parseDroppedApps(h), [{ appId: 'app-1', count: 12, since: Date.parse(since) }, { appId: 'b_2', count: 1, since: Date.parse(since) }]);
  assert.deepEqual(parseDroppedApps('a=1@2,../x=1@2,b=0@1,c=-1@1,d=1@x,e=1'), [{ appId: 'a', count: 1, since: 2 }]);
  assert.deepEqual(parseDroppedApps(undefined), []);
  assert.equal(parseDroppedApps(Array.from({ length: 5 }, (_, i) => `a${i}=1@1`).join(','), 3).length, 3);
});

test('a wire line\'s time: Unix seconds with up to three digits of milliseconds, read as nginx writes $msec; anything else is none', () => {
  const ms = (text: string) => wireMs(Buffer.from(`x${text}y`), 1, 1 + Buffer.byteLength(text));
  assert.equal(ms('1764563200.123'), 1764563200123);
  assert.equal(ms('1764563200.5'), 1764563200500);
  assert.equal(ms('1764563200.05'), 1764563200050);
  assert.equal(ms('1764563200'), 1764563200000);
  assert.equal(ms('999999999999.999'), 999999999999999, 'twelve digits of seconds');
  for (const bad of ['', '-', '.5', '1764563200.', '1764563200.1234', '1764563200,1', '17645632OO.1', '1764563200.1x', '1234567890123', '0', '0.000', ' 1764563200']) {
    assert.ok(Number.isNaN(ms(bad)), JSON.stringify(bad));
  }
});
