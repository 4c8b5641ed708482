import { test } from 'node:test';
import assert from 'node:assert/strict';
import { syslogFrame, httpDrainHeaders, overflowLine } from './drain-frame.js';
import { DrainQueue } from './drain-queue.js';

test('an app line becomes an octet-counted syslog frame with the drain token as host', () => {
  const f = syslogFrame('2026-11-29T12:00:00.000Z app[web.1]: listening on 5000 ✓', 'd.abc');
  const msg = '<190>1 2026-11-29T12:00:00.000Z d.abc app web.1 - listening on 5000 ✓\n';
  assert.equal(f, `${Buffer.byteLength(msg)} ${msg}`);
  assert.notEqual(Buffer.byteLength(msg), msg.length, 'the count is in bytes, not characters');
});

test('a frame ends in a newline its count includes, as logplex writes them (Heroku\'s documented `83 <40>1 … up` is 82 characters and a newline)', () => {
  const f = syslogFrame('2012-11-30T06:45:29+00:00 heroku[web.3]: State changed from starting to up', 'host')!;
  assert.equal(f, '87 <158>1 2012-11-30T06:45:29+00:00 host heroku web.3 - State changed from starting to up\n');
});

test('platform lines are heroku with their process; lines of another shape are skipped', () => {
  assert.match(syslogFrame('2026-11-29T12:00:00.000Z heroku[router]: at=info method=GET', 'd.x')!, /^\d+ <158>1 \S+ d\.x heroku router - at=info method=GET\n$/);
  assert.equal(syslogFrame('not a log line', 'd.x'), undefined);
});

test('HTTPS batches carry logplex\'s headers; L10 names the drops', () => {
  assert.deepEqual(Object.keys(httpDrainHeaders('d.x', 3, 'f1')).sort(), ['content-type', 'logplex-drain-token', 'logplex-frame-id', 'logplex-msg-count', 'user-agent']);
  assert.equal(httpDrainHeaders('d.x', 3, 'f1')['logplex-msg-count'], '3');
  assert.match(overflowLine(5, 'T0', 'T1'), /^T1 heroku\[logplex\]: Error L10 \(output buffer overflow\): 5 messages dropped since T0\.$/);
});

test('the queue keeps at most its bound, drops the oldest, and says so in the next batch', () => {
  const q = new DrainQueue(3);
  for (const l of ['a', 'b', 'c', 'd', 'e']) q.push(l);
  assert.equal(q.length, 3);
  const b = q.take(10);
  assert.equal(b.lines.length, 4);
  assert.match(b.lines[0]!, /L10 .*: 2 messages dropped/);
  assert.deepEqual(b.lines.slice(1), ['c', 'd', 'e']);
  assert.equal(q.take(10).lines.length, 0, 'the drop count is reported once');
});

test('an undelivered batch goes back in front, still bounded, its drops kept', () => {
  const q = new DrainQueue(3);
  for (const l of ['a', 'b', 'c', 'd']) q.push(l);
  const b = q.take(2);
  q.push('e');
  q.push('f');
  q.giveBack(b);
  const again = q.take(10);
  assert.deepEqual(again.lines.slice(1), ['d', 'e', 'f']);
  assert.match(again.lines[0]!, /: 3 messages dropped/, 'a from the first overflow, b and c pushed out when the batch came back');
});
