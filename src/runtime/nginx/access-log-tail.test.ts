import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AccessLogTail } from './access-log-tail.js';

test('a rotation: the new file is read as soon as it exists, the old one until its last batch; nothing lost, twice or held back', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tail-'));
  const file = path.join(dir, 'access.log');
  const got: string[] = [];
  let reopened = 0;
  const tail = new AccessLogTail(file, (b) => got.push(...b.toString().split('\n').filter(Boolean)), () => { reopened++; }, 100);
  try {
    tail.start(10_000);
    // nginx's worker holds the file open: it goes on writing to it after the rename until it reopens.
    const worker = fs.openSync(file, 'a');
    fs.writeSync(worker, 'a1\na2\na3\na4\na5\na6\na7\na8\na9\na10\na11\na12\na13\na14\na15\na16\na17\na18\na19\na20\na21\na22\na23\na24\na25\na26\na27\na28\na29\na30\n');
    tail.poll();
    assert.equal(got.length, 30);
    assert.equal(reopened, 1, 'past 100 bytes the file is rotated');
    assert.ok(fs.existsSync(`${file}.old`));
    tail.poll();
    assert.equal(got.length, 30, 'nothing new');
    fs.writeSync(worker, 'late1\n');
    fs.closeSync(worker);
    // nginx reopens: a new file, written at once.
    fs.writeFileSync(file, 'new1\nnew2\n');
    tail.poll();
    assert.deepEqual(got.slice(-3), ['late1', 'new1', 'new2'], 'the new file read at once, not 2 s later');
    fs.appendFileSync(file, 'new3\npart');
    tail.poll();
    assert.equal(got.at(-1), 'new3', 'a line not yet whole waits');
    fs.appendFileSync(file, 'ial\n');
    tail.stop();
    assert.equal(got.length, 30 + 5);
    assert.deepEqual(got.slice(-5), ['late1', 'new1', 'new2', 'new3', 'partial']);
  } finally { tail.stop(); fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a rotated file is kept and read until nginx has made the new one (its workers write to the old one till then)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tail-'));
  const file = path.join(dir, 'access.log');
  const got: string[] = [];
  const tail = new AccessLogTail(file, (b) => got.push(...b.toString().split('\n').filter(Boolean)), () => {}, 10);
  try {
    tail.start(10_000);
    const worker = fs.openSync(file, 'a');
    fs.writeSync(worker, 'a1\na2\na3\na4\na5\n');
    tail.poll();
    assert.ok(fs.existsSync(`${file}.old`), 'rotated');
    // Past the 2 s a worker's last batch takes, and still no new file: the old one stays and is read.
    await new Promise((r) => setTimeout(r, 2100));
    fs.writeSync(worker, 'late1\n');
    tail.poll();
    assert.ok(fs.existsSync(`${file}.old`), 'not removed before nginx made the new file');
    assert.equal(got.at(-1), 'late1');
    fs.writeSync(worker, 'late2\n');
    fs.closeSync(worker);
    fs.writeFileSync(file, 'new1\n');
    tail.poll();
    assert.deepEqual(got, ['a1', 'a2', 'a3', 'a4', 'a5', 'late1', 'late2', 'new1']);
    assert.ok(!fs.existsSync(`${file}.old`), 'removed once the new file is there');
  } finally { tail.stop(); fs.rmSync(dir, { recursive: true, force: true }); }
});
