import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DynoLogShipper } from './dyno-log-shipper.js';
import { AgentHttpError } from './client.js';

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

const L10 = /^Error L10 \(output buffer overflow\): (\d+) messages dropped since \d{4}-\d\d-\d\dT/;

test('past 20,000 lines waiting, the oldest of the app with the most waiting go: its log says how many where they were (L10); a quiet app on the same agent loses none', { timeout: 10_000 }, async () => {
  const batches: Sent[] = [];
  const notes: string[] = [];
  let away = true;
  const shipper = new DynoLogShipper({ dynoLogs: async (b) => { if (away) throw new Error('server away'); batches.push(b.lines); } }, (m) => notes.push(m));
  for (let i = 0; i < 25_000; i++) {
    shipper.push('flood', 'app[web.1]', `line ${i}`);
    if (i % 250 === 0) shipper.push('quiet', 'app[web.1]', `quiet ${i / 250}`);
  }
  await shipper.flush();
  away = false;
  shipper.push('flood', 'app[web.1]', 'after');
  await shipper.flush();
  await shipper.close();
  const sent = batches.flat();
  const of = (app: string) => sent.filter((l) => l.app_id === app && l.source !== 'heroku[logplex]').map((l) => l.line);
  assert.deepEqual(of('quiet'), Array.from({ length: 100 }, (_, i) => `quiet ${i}`), 'the quiet app\'s lines, all of them, in order');
  const l10 = sent.filter((l) => l.source === 'heroku[logplex]');
  assert.deepEqual(l10.map((l) => l.app_id), ['flood'], 'only the flooding app lost lines');
  assert.equal(sent.indexOf(l10[0]!), 0, 'the L10 line comes before the lines kept after the gap');
  const dropped = Number(L10.exec(l10[0]!.line)![1]);
  const kept = of('flood');
  assert.ok(kept.length > 19_000 && kept.length <= 20_000, `${kept.length} kept`);
  assert.equal(dropped + kept.length, 25_001, 'every line is kept or said dropped');
  assert.deepEqual(kept, [...Array.from({ length: 25_000 - dropped }, (_, i) => `line ${dropped + i}`), 'after'], 'the newest, in order');
  assert.match(notes.join('\n'), new RegExp(`dyno logs: ${dropped} line\\(s\\) were dropped`));
});

test('apps take turns: a batch goes on with the app the last one did not take from', { timeout: 10_000 }, async () => {
  const batches: Sent[] = [];
  const shipper = new DynoLogShipper({ dynoLogs: async (b) => { batches.push(b.lines); } }, () => {});
  for (let i = 0; i < 8000; i++) { shipper.push('a', 'app[web.1]', `a ${i}`); shipper.push('b', 'app[web.1]', `b ${i}`); }
  await shipper.flush();
  await shipper.close();
  assert.deepEqual(batches.map((b) => [...new Set(b.map((l) => l.app_id))]), [['a'], ['b'], ['a', 'b'], ['b']]);
  assert.deepEqual(batches.flat().filter((l) => l.app_id === 'b').map((l) => l.line), Array.from({ length: 8000 }, (_, i) => `b ${i}`));
});

test('a batch is sized by its JSON: lines of control characters (6 bytes each escaped) go in smaller batches the server takes', { timeout: 10_000 }, async () => {
  const sizes: number[] = [];
  const shipper = new DynoLogShipper({ dynoLogs: async (b) => { sizes.push(Buffer.byteLength(JSON.stringify(b))); } }, () => {});
  for (let i = 0; i < 400; i++) shipper.push('a', 'app[web.1]', '\u0000'.repeat(16 * 1024));
  await shipper.flush();
  await shipper.close();
  assert.ok(sizes.length >= 37, `${sizes.length} batches`);
  assert.ok(sizes.every((n) => n <= 1.05 * 2 ** 20), `the largest batch is ${Math.max(...sizes)} bytes`);
});

test('a batch the server refuses is said in each of its apps\' logs (L10), not lost unsaid', { timeout: 10_000 }, async () => {
  const batches: Sent[] = [];
  const notes: string[] = [];
  let refuse = true;
  const shipper = new DynoLogShipper({ dynoLogs: async (b) => { if (refuse) { refuse = false; throw new AgentHttpError(413, 'too_large', 'body too large'); } batches.push(b.lines); } }, (m) => notes.push(m));
  for (let i = 0; i < 30; i++) shipper.push(i % 3 ? 'a' : 'b', 'app[web.1]', `line ${i}`);
  await shipper.flush();
  assert.deepEqual(batches.flat().map((l) => [l.app_id, L10.exec(l.line)?.[1] ?? l.line]), [['b', '10'], ['a', '20']], 'said at once, with no line waiting');
  shipper.push('a', 'app[web.1]', 'next');
  await shipper.flush();
  await shipper.close();
  const sent = batches.flat();
  assert.deepEqual(sent.map((l) => [l.app_id, L10.exec(l.line)?.[1] ?? l.line]), [['b', '10'], ['a', '20'], ['a', 'next']]);
  assert.match(notes.join('\n'), /the server refused 30 line\(s\): body too large/);
});
