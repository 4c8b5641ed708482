import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynoLogShipper } from './dyno-log-shipper.js';

type Sent = Array<{ app_id: string; source: string; line: string }>;

test('what waits goes in batches back to back, in order, none over 5,000 lines', { timeout: 10_000 }, async () => {
  const batches: Sent[] = [];
  const shipper = new DynoLogShipper({ dynoLogs: async (b) => { batches.push(b.lines); } }, () => {});
  for (let i = 0; i < 12_000; i++) shipper.push('a', 'app[web.1]', `line ${i}`);
  await shipper.flush();
  await shipper.close();
  assert.deepEqual(batches.map((b) => b.length), [5000, 5000, 2000], 'one flush sent all of it');
  assert.deepEqual(batches.flat().map((l) => l.line), Array.from({ length: 12_000 }, (_, i) => `line ${i}`));
});

test('lines past the 20,000 that wait are dropped oldest first, and each app\'s log says how many where they were (L10)', { timeout: 10_000 }, async () => {
  const batches: Sent[] = [];
  const notes: string[] = [];
  let away = true;
  const shipper = new DynoLogShipper({ dynoLogs: async (b) => { if (away) throw new Error('server away'); batches.push(b.lines); } }, (m) => notes.push(m));
  for (let i = 0; i < 25_000; i++) shipper.push(i % 2 ? 'b' : 'a', 'app[web.1]', `line ${i}`);
  await shipper.flush();
  away = false;
  shipper.push('a', 'app[web.1]', 'after');
  await shipper.flush();
  await shipper.close();
  const sent = batches.flat();
  const l10 = sent.filter((l) => l.source === 'heroku[logplex]');
  assert.deepEqual(l10.map((l) => [l.app_id, /^Error L10 \(output buffer overflow\): (\d+) messages dropped since \d{4}-\d\d-\d\dT/.exec(l.line)?.[1]]), [['a', '2501'], ['b', '2500']], 'the line pushed while 20,000 waited dropped one more');
  assert.equal(sent.indexOf(l10[0]!), 0, 'the L10 lines come before the lines kept after the gap');
  const rest = sent.filter((l) => l.source !== 'heroku[logplex]').map((l) => l.line);
  assert.deepEqual(rest, [...Array.from({ length: 19_999 }, (_, i) => `line ${5001 + i}`), 'after'], 'the newest 20,000 and what came after, in order');
  assert.match(notes.join('\n'), /dyno logs: 5001 line\(s\) were dropped/);
});
