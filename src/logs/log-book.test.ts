import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogBook } from './log-book.js';

const collect = async (it: AsyncGenerator<Buffer>) => { let s = ''; for await (const c of it) s += c; return s; };

test('a reader that joins late gets the past, then follows live output until close', async () => {
  const book = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-')));
  book.open('run/0/test');
  book.append('run/0/test', 'one\n');
  const reader = collect(book.follow('run/0/test'));
  await new Promise((r) => setTimeout(r, 10));
  book.append('run/0/test', 'two\n');
  book.append('run/0/test', 'three\n');
  book.close('run/0/test');
  assert.equal(await reader, 'one\ntwo\nthree\n');
  assert.equal(await collect(book.follow('run/0/test')), 'one\ntwo\nthree\n', 'a closed log reads whole from its file');
  assert.equal(await collect(book.follow('run/0/test', 4)), 'two\nthree\n', 'an offset resumes');
});

test('rotate sets the file aside as the previous segment and drops the one before; readers see both, a follower goes on', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-'));
  const book = new LogBook(dir);
  const line = (i: number) => `line ${String(i).padStart(3, '0')}\n`; // 9 bytes
  const lines = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => line(from + i)).join('');
  book.ensureOpen('app');
  for (let i = 0; i < 50; i++) book.append('app', line(i));
  assert.equal(book.rotate('app', 500), false, 'within the segment size: nothing to do');
  for (let i = 50; i < 60; i++) book.append('app', line(i));
  const reader = collect(book.follow('app', 9 * 55));
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(book.rotate('app', 500), true);
  assert.equal(book.read('app'), lines(0, 60), 'the first rotation drops nothing');
  for (let i = 60; i < 120; i++) book.append('app', line(i));
  assert.equal(book.rotate('app', 500), true);
  assert.equal(book.read('app'), lines(60, 120), 'the second drops the first segment');
  assert.equal(book.size('app'), 9 * 60);
  assert.equal(book.readRange('app', 9 * 5, 9 * 7).toString(), lines(65, 67), 'offsets start at the oldest segment kept');
  book.append('app', 'after\n');
  assert.equal(book.readRange('app', 9 * 59, 9 * 60 + 6).toString(), `${line(119)}after\n`, 'a range across the two segments');
  for (const until = Date.now() + 5000; fs.readdirSync(dir).length > 2 && Date.now() < until;) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(fs.readdirSync(dir).sort(), ['app.log', 'app.log.1'], 'two files, nothing copied; the older segment removed in the background');
  book.close('app');
  assert.equal(await reader, lines(55, 120) + 'after\n', 'the follower read on across both rotations, nothing twice, nothing lost');
  assert.equal(book.rotate('app', 1), false, 'closed logs are left alone');
  assert.equal(book.size('app'), 9 * 60 + 6, 'a closed stream: both segments');
  assert.equal(await collect(book.follow('app', 9 * 58)), lines(118, 120) + 'after\n');
  book.open('app');
  assert.equal(book.read('app'), '', 'a restart drops the previous segment too');
});

test('lastLines reads the newest lines from the end, across chunks and both segments, as a whole read would give them', () => {
  const book = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-last-')));
  book.ensureOpen('app');
  // Lines of varied length with multi-byte characters, some far longer than a 64 KiB chunk; rotated once on the way.
  const all: string[] = [];
  for (let i = 0; i < 3000; i++) {
    const l = `${i % 3 ? 'app[web.1]' : 'heroku[router]'} é${'ü'.repeat(i % 97)}${i % 700 === 5 ? 'x'.repeat(150_000) : ''} ${i}`;
    all.push(l);
    book.append('app', `${l}\n`);
    if (i === 1500) book.rotate('app', 1);
  }
  book.append('app', 'unfinished');
  const whole = book.read('app').split('\n').filter((l) => l);
  assert.equal(whole.length, 3001, 'both segments are read, and the unfinished last line');
  for (const n of [1, 100, 1500, 5000]) {
    const { lines, end } = book.lastLines('app', n);
    assert.deepEqual(lines, whole.slice(-n), `the last ${n}`);
    assert.equal(end, book.size('app'));
  }
  const router = (l: string) => l.startsWith('heroku[router]');
  assert.deepEqual(book.lastLines('app', 700, router).lines, whole.filter(router).slice(-700), 'filtered: the last 700 it takes');
  assert.deepEqual(book.lastLines('none', 10), { lines: [], end: 0 });
});

test('an unknown log reads as empty', async () => {
  const book = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-')));
  assert.equal(await collect(book.follow('nope')), '');
  assert.throws(() => book.open('../escape'));
});

test('size and readRange read a window of a stream without the rest', () => {
  const book = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-range-')));
  book.open('w/x');
  book.append('w/x', 'hello\nworld\n');
  assert.equal(book.size('w/x'), 12);
  assert.equal(book.readRange('w/x', 6, 12).toString(), 'world\n');
  assert.equal(book.readRange('w/x', 10, 99).toString(), 'd\n');
  book.close('w/x');
  assert.equal(book.size('w/x'), 12, 'the size of a closed stream comes from its file');
  assert.equal(book.size('w/none'), 0);
  assert.equal(book.readRange('w/none', 0, 10).length, 0);
});

test('a closed stream is archived; another replica with an empty folder reads it from the archive', async () => {
  const kept = new Map<string, string>();
  const archive = {
    save: async (key: string, file: string) => { kept.set(key, fs.readFileSync(file, 'utf8')); },
    restore: async (key: string, file: string) => { const t = kept.get(key); if (t === undefined) return false; fs.writeFileSync(file, t); return true; },
  };
  const a = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-')), archive);
  const b = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-')), archive);
  a.open('builds/1');
  a.append('builds/1', 'compiled\n');
  assert.equal(await collect(b.follow('builds/1')), '', 'a live stream is not archived: only its writer serves it');
  a.close('builds/1');
  await a.archived('builds/1');
  assert.equal(await collect(b.follow('builds/1')), 'compiled\n');
  assert.equal(b.read('builds/1'), 'compiled\n', 'kept on the reading replica after the first read');
});
