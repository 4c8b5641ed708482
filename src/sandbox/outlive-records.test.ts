import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { OutliveRecords, type OutlivingProcess } from './outlive-records.js';
import { procStartTime } from './adopted.js';

type R = OutlivingProcess & { id: string };

test('records: a live launcher (same pid and start time) is found; a gone or reused pid\'s record is removed with its files', { timeout: 5000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outlive-records-'));
  try {
    const records = new OutliveRecords<R>(dir, (r) => r.id);
    const me = { pid: process.pid, startTime: procStartTime(process.pid)!, marker: 'm/1' };
    records.save({ id: 'live', proc: me });
    records.save({ id: 'reused', proc: { ...me, startTime: '1' } });
    fs.closeSync(records.openFiles('reused').output);
    assert.deepEqual(records.live().map((r) => r.id), ['live']);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['live.json']);
    assert.throws(() => records.save({ id: '../x', proc: me }), /invalid record id/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('an output opened to append goes on at the start of the file once it is trimmed (no hole where it was)', { timeout: 5000 }, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'outlive-records-'));
  try {
    const records = new OutliveRecords<R>(dir, (r) => r.id);
    const { output, status } = records.openFiles('a', { append: true });
    fs.writeSync(output, 'x'.repeat(2000));
    records.trimOutput('a', 4000);
    assert.equal(fs.statSync(records.outputFile('a')).size, 2000, 'under the bound: kept');
    records.trimOutput('a', 1000);
    fs.writeSync(output, 'next\n');
    assert.equal(fs.readFileSync(records.outputFile('a'), 'utf8'), 'next\n');
    fs.closeSync(output);
    fs.closeSync(status);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
