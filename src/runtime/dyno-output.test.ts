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
    const first = new OutputTail(file, 4, { line: (l) => lines.push(l), dropped: () => assert.fail('nothing dropped'), onOffset: (o) => { offset = o; } });
    first.read();
    assert.deepEqual(lines, ['two'], 'from offset 4 (past "one\\n"), the partial line kept back');
    first.close(false);
    assert.equal(offset, 8, 'the partial line is left for the next reader');
    fs.appendFileSync(file, 'ial\nthree\n');
    const next = new OutputTail(file, offset, { line: (l) => lines.push(l), dropped: () => assert.fail('nothing dropped'), onOffset: (o) => { offset = o; } });
    next.close(true);
    assert.deepEqual(lines, ['two', 'partial', 'three']);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
