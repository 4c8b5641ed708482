import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogBook } from '../../logs/log-book.js';
import { logWindow } from './log-window.js';

const book = () => new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'log-window-')));

test('the tail of a long log starts at a line start; earlier windows page back to byte 0', () => {
  const logs = book();
  const lines = Array.from({ length: 100 }, (_, i) => `line ${String(i).padStart(3, '0')}\n`); // 9 bytes each
  logs.append('r/test', lines.join(''));
  const tail = logWindow(logs, 'r/test', undefined, 50);
  assert.equal(tail.end, 900);
  assert.equal(tail.start, 855, 'moved forward to the next whole line');
  assert.equal(tail.html, 'line 095\nline 096\nline 097\nline 098\nline 099\n');
  const before = logWindow(logs, 'r/test', tail.start, 50);
  assert.deepEqual([before.start, before.end], [810, 855]);
  assert.equal(before.html, 'line 090\nline 091\nline 092\nline 093\nline 094\n');
  const first = logWindow(logs, 'r/test', 20, 50);
  assert.deepEqual([first.start, first.html], [0, 'line 000\nline 001\nli']);
});

test('a window renders ANSI colours and escapes the text; a missing log is empty', () => {
  const logs = book();
  logs.append('r/setup', '\x1b[31m<fail>\x1b[0m ok\n');
  assert.equal(logWindow(logs, 'r/setup').html, '<span class="a-fg-c1">&lt;fail&gt;</span> ok\n');
  assert.deepEqual(logWindow(logs, 'r/none'), { start: 0, end: 0, html: '' });
});
