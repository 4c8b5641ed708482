import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutputTail, readFrom } from './dyno-output.js';

test('a reader starts where the last stopped; past the cap only the newest bytes are read and the rest counted as dropped', { timeout: 5000 }, () => {
  assert.deepEqual(readFrom(100, 40, 1000), { from: 40, dropped: 0 });
  assert.deepEqual(readFrom(5000, 1000, 1000), { from: 4000, dropped: 3000 });
  assert.deepEqual(readFrom(10, 40, 1000), { from: 0, dropped: 0 }, 'a file emptied since: from its start');
});

test('lines written to the file reach the log once each, from the recorded offset; a partial line waits for its end; a handed-over reader leaves it for the next', { timeout: 5000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-output-'));
  try {
    const file = path.join(dir, 'dyno.out');
    fs.writeFileSync(file, 'one\ntwo\npart');
    const lines: string[] = [];
    let offset = 0;
    const first = new OutputTail(file, 4, { line: (l) => lines.push(l), dropped: () => assert.fail('nothing dropped'), onOffset: (o) => { offset = o; }, failed: (m) => assert.fail(m) });
    first.read();
    assert.deepEqual(lines, ['two'], 'from offset 4 (past "one\\n"), the partial line kept back');
    first.close(false);
    assert.equal(offset, 8, 'the partial line is left for the next reader');
    fs.appendFileSync(file, 'ial\nthree\n');
    const next = new OutputTail(file, offset, { line: (l) => lines.push(l), dropped: () => assert.fail('nothing dropped'), onOffset: (o) => { offset = o; }, failed: (m) => assert.fail(m) });
    next.close(true);
    assert.deepEqual(lines, ['two', 'partial', 'three']);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

/** The descriptors of this process open on `file`. */
const fdsOn = (file: string): number[] => fs.readdirSync('/proc/self/fd').map(Number).filter((fd) => { try { return fs.readlinkSync(`/proc/self/fd/${fd}`) === file; } catch { return false; } });

test('a tail closed twice closes its descriptor once: the number, given to another file since, stays open', { timeout: 5000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-output-'));
  try {
    const file = path.join(dir, 'dyno.out');
    fs.writeFileSync(file, '');
    const events = { line: () => {}, dropped: () => {}, onOffset: () => {}, failed: (m: string) => assert.fail(m) };
    const tail = new OutputTail(file, 0, events);
    const [number] = fdsOn(file);
    tail.close(true);
    const other = fs.openSync(path.join(dir, 'other'), 'w');
    assert.equal(other, number, 'the lowest free number is given again');
    tail.close(true);
    assert.doesNotThrow(() => fs.fstatSync(other), 'the other file is still open');
    fs.closeSync(other);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a descriptor closed under a tail: said once, the file reopened by its path, its lines still read; a file gone ends the tail, never the process', { timeout: 10_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-output-'));
  try {
    const file = path.join(dir, 'dyno.out');
    fs.writeFileSync(file, 'one\n');
    const lines: string[] = [];
    const failures: string[] = [];
    const tail = new OutputTail(file, 0, { line: (l) => lines.push(l), dropped: () => {}, onOffset: () => {}, failed: (m) => failures.push(m) });
    const until = async (what: string, ok: () => boolean) => { for (let i = 0; !ok(); i++) { if (i > 200) assert.fail(what); await new Promise((r) => setTimeout(r, 25)); } };
    await until('the first line', () => lines.length === 1);
    for (const fd of fdsOn(file)) fs.closeSync(fd);
    fs.appendFileSync(file, 'two\n');
    await until('the line written after the descriptor was closed', () => lines.length === 2);
    assert.deepEqual(lines, ['one', 'two']);
    assert.equal(failures.length, 1, failures.join('\n'));
    assert.match(failures[0]!, /EBADF/);
    for (const fd of fdsOn(file)) fs.closeSync(fd);
    fs.rmSync(file);
    await until('the tail to end', () => failures.length === 3);
    assert.match(failures[2]!, /no longer read.*ENOENT/);
    tail.close(true);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a character split between two reads, or by a handover, reaches the log whole; the handed-over offset counts bytes', { timeout: 5000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-output-'));
  try {
    const file = path.join(dir, 'dyno.out');
    const text = Buffer.from('grüße ✓ 🚀\nnext ünïcode\n');
    const cut = text.indexOf(Buffer.from('🚀')) + 2; // inside the 4-byte rocket
    fs.writeFileSync(file, text.subarray(0, cut));
    const lines: string[] = [];
    let offset = 0;
    const events = { line: (l: string) => lines.push(l), dropped: () => assert.fail('nothing dropped'), onOffset: (o: number) => { offset = o; }, failed: (m: string) => assert.fail(m) };
    const tail = new OutputTail(file, 0, events);
    tail.read();
    assert.deepEqual(lines, [], 'half a line, half a character: nothing yet');
    fs.appendFileSync(file, text.subarray(cut, cut + 3));
    tail.read();
    assert.deepEqual(lines, ['grüße ✓ 🚀']);
    const second = text.indexOf(Buffer.from('ü', 'utf8'), cut) + 1; // inside "ü" of the second line
    fs.appendFileSync(file, text.subarray(cut + 3, second));
    tail.close(false);
    assert.equal(offset, text.indexOf(10) + 1, 'handed over at the start of the unfinished line, in bytes');
    fs.appendFileSync(file, text.subarray(second));
    new OutputTail(file, offset, events).close(true);
    assert.deepEqual(lines, ['grüße ✓ 🚀', 'next ünïcode']);
    assert.ok(!lines.join('').includes('\ufffd'), 'no replacement character');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a line past the longest kept is cut at a character\'s start, never inside one', { timeout: 5000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-output-'));
  try {
    const file = path.join(dir, 'dyno.out');
    fs.writeFileSync(file, `${'€'.repeat(30_000)}\n`); // 90,000 bytes, 3 per character
    const lines: string[] = [];
    new OutputTail(file, 0, { line: (l) => lines.push(l), dropped: () => {}, onOffset: () => {}, failed: (m) => assert.fail(m) }).close(true);
    assert.equal(lines.join(''), '€'.repeat(30_000));
    assert.ok(lines.length >= 2, 'cut');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('read bytes go back to the disk past 1 MB, the file and its offsets untouched (a write meanwhile is kept); a filesystem that cannot: emptied once all is read, and said', { timeout: 10_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-output-'));
  try {
    const file = path.join(dir, 'dyno.out');
    const line = `${'x'.repeat(99)}\n`;
    fs.writeFileSync(file, line.repeat(11_000));
    const freed: Array<[number, number]> = [];
    let lines = 0;
    const failures: string[] = [];
    const events = { line: () => { lines++; }, dropped: () => assert.fail('nothing dropped'), onOffset: () => {}, failed: (m: string) => failures.push(m) };
    const tail = new OutputTail(file, 0, events, { free: async (f, from, to) => { assert.equal(f, file); freed.push([from, to]); } });
    tail.read();
    fs.appendFileSync(file, line);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(freed, [[0, 1_100_000]]);
    assert.equal(fs.statSync(file).size, 1_100_100, 'the file is not emptied');
    tail.read();
    tail.close(true);
    assert.equal(lines, 11_001, 'the line written after the read is read');

    fs.writeFileSync(file, line.repeat(11_000));
    lines = 0;
    const unable = new OutputTail(file, 0, events, { free: async () => { throw new Error('Operation not supported'); } });
    unable.read();
    await new Promise((r) => setImmediate(r));
    assert.match(failures.join('\n'), /cannot be given back to the disk \(Operation not supported\); it is emptied once read instead/);
    unable.read();
    assert.equal(fs.statSync(file).size, 0, 'emptied once all was read');
    fs.appendFileSync(file, line);
    unable.close(true);
    assert.equal(lines, 11_001);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
