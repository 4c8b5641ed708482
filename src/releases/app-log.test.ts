import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LogBook } from '../logs/log-book.js';
import { appendAppLogBytes, appLogKey, lineTime } from './app-log.js';

test('lineTime: a line keeps its own time; none, a bad one or one over a day old is now; never ahead of now', { timeout: 5000 }, () => {
  const now = Date.parse('2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('2026-11-30T00:59:58.250Z', now), '2026-11-30T00:59:58.250Z');
  assert.equal(lineTime(undefined, now), '2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('yesterday', now), '2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('2026-11-28T00:00:00.000Z', now), '2026-11-30T01:00:00.000Z');
  assert.equal(lineTime('2026-11-30T01:05:00.000Z', now), '2026-11-30T01:00:00.000Z', 'an agent clock ahead of the server');
});

test('appendAppLogBytes: batches built in the reused buffer, a small one after a large one after a larger-than-kept one, each written whole', { timeout: 10_000 }, () => {
  const logs = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'app-log-')));
  const t = Date.now() - 1000;
  const at = new Date(t).toISOString();
  const batch = (n: number, tag: string) => {
    const body = Buffer.from(Array.from({ length: n }, (_, i) => `${tag} ${i} ${'y'.repeat(90)}`).join('\n'));
    const starts: number[] = [];
    const ends: number[] = [];
    for (let from = 0; from < body.length;) { const end = body.indexOf(10, from) < 0 ? body.length : body.indexOf(10, from); starts.push(from); ends.push(end); from = end + 1; }
    appendAppLogBytes(logs, 'app', 'heroku[router]', body, { ats: starts.map(() => t), starts, ends });
    return Array.from({ length: n }, (_, i) => `${at} heroku[router]: ${tag} ${i} ${'y'.repeat(90)}\n`).join('');
  };
  // About 3.6 MB (past what is kept for reuse), 1.2 MB, then 12 KB.
  const expected = batch(30_000, 'big') + batch(10_000, 'mid') + batch(100, 'small');
  assert.equal(logs.read(appLogKey('app')), expected);
});

test('appendAppLogBytes: each line\'s time as toISOString writes it, across milliseconds, seconds and days; none, over a day old or ahead of now is now', { timeout: 10_000 }, () => {
  const logs = new LogBook(fs.mkdtempSync(path.join(os.tmpdir(), 'app-log-')));
  const now = Date.now();
  const midnight = Math.floor(now / 86_400_000) * 86_400_000;
  // Times in the last day, in order and out of it, repeated and not: a day's last second into the next, each digit of the milliseconds.
  const own = [now - 5, now - 5, now - 1000, midnight - 1, midnight, midnight + 7, midnight + 70, midnight + 999, midnight + 1000, now - 86_000_000, now];
  const ats = [...own.filter((t) => t <= now), NaN, now - 86_400_001, now + 60_000];
  const body = Buffer.from(ats.map((_, i) => `line ${i}`).join('\n'));
  const starts = ats.map((_, i) => body.indexOf(`line ${i}`));
  const ends = starts.map((s, i) => s + `line ${i}`.length);
  const before = Date.now();
  appendAppLogBytes(logs, 'app', 'app[web.1]', body, { ats, starts, ends });
  const written = logs.read(appLogKey('app')).split('\n').slice(0, -1);
  assert.equal(written.length, ats.length);
  written.forEach((l, i) => {
    const m = /^(\S+) app\[web\.1\]: line (\d+)$/.exec(l);
    assert.ok(m && Number(m[2]) === i, l);
    const t = ats[i]!;
    if (t >= now - 86_400_000 && t <= before) assert.equal(m[1], new Date(t).toISOString(), `line ${i}`);
    else assert.ok(Date.parse(m[1]!) >= before && m[1] === new Date(Date.parse(m[1]!)).toISOString(), `line ${i} is written now: ${l}`);
  });
});
