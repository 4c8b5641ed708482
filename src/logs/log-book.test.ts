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

test('an unknown log reads as empty', async () => {
  const book = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'logbook-')));
  assert.equal(await collect(book.follow('nope')), '');
  assert.throws(() => book.open('../escape'));
});
