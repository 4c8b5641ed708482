import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { Worker } from 'node:worker_threads';
import { digestRouterLines } from './router-log-digest.js';
import { RouterLogThread } from './router-log-thread.js';
import { wireLine } from '../router/router-wire.js';
import { BACKGROUND_NICE, lowerThisThread, threadId } from '../core/thread-priority.js';

const now = Date.parse('2026-12-04T16:00:30.000Z');
const info = (service: number, status: number) => `at=info method=GET path="/x" host=a.localhost request_id=r fwd="1.2.3.4" dyno=web.1 connect=0ms service=${service}ms status=${status} bytes=5 protocol=http`;
/** Lines at `at` (Unix seconds; 2026-12-04T16:00:00Z) and a minute before it. */
const batch = (at = 1796400000) => Buffer.from([
  wireLine('app-a', info(3, 200), `${at}.250`),
  wireLine('app-a', info(700, 503), `${at}.250`),
  wireLine('app-b', 'at=error code=H12 desc="Request timeout" method=GET path="/" host=b.localhost request_id=q fwd="1.2.3.4" dyno=web.1 connect=0ms service=30000ms status=503 bytes=0 protocol=http', `${at - 60}.000`),
  'not a wire line\n',
  wireLine('app-a', info(1, 302), ''), // no time of its own: now
].join(''));

test('digestRouterLines: each app its lines in its log\'s format and its minutes\' counts; bad lines counted, not kept', { timeout: 5000 }, () => {
  const d = digestRouterLines(batch(), 'heroku[router]', now);
  assert.equal(d.bad, 1);
  const [a, b] = d.apps;
  assert.equal(a!.appId, 'app-a');
  assert.equal(a!.lines, 3);
  const log = (x: typeof a) => Buffer.from(d.log).subarray(x!.start, x!.end).toString();
  assert.equal(log(a), [
    `2026-12-04T16:00:00.250Z heroku[router]: ${info(3, 200)}`,
    `2026-12-04T16:00:00.250Z heroku[router]: ${info(700, 503)}`,
    `2026-12-04T16:00:30.000Z heroku[router]: ${info(1, 302)}`, ''].join('\n'));
  const minute = Math.floor(Date.parse('2026-12-04T16:00:00.250Z') / 60_000);
  assert.deepEqual(a!.minutes.map((m) => [m.minute, m.statuses, m.bins.reduce((s, x) => s + x, 0)]), [[minute, [1, 0, 0, 1], 2], [-1, [0, 1, 0, 0], 1]]);
  assert.equal(a!.minutes[0]!.bins[2], 1, '3 ms: the 2-5 ms bin');
  assert.equal(b!.appId, 'app-b');
  assert.deepEqual(b!.minutes.map((m) => [m.minute, m.statuses, m.codes]), [[minute - 1, [0, 0, 0, 1], { H12: 1 }]]);
  assert.match(log(b), /^2026-12-04T15:59:00.000Z heroku\[router\]: at=error code=H12 .*\n$/);
  // Its own memory (it is handed to another thread); a room large enough is written into.
  assert.equal(d.log.byteOffset, 0);
  const room = new ArrayBuffer(1 << 20);
  assert.equal(digestRouterLines(batch(), 'heroku[router]', now, room).log.buffer, room);
});

test('RouterLogThread: the digest made on a thread of its own equals the one made here; the thread runs at the log priority, stops when idle', { timeout: 20_000 }, async () => {
  const t = new RouterLogThread({ idleMs: 300 });
  try {
    const body = batch(Math.floor(Date.now() / 1000) - 120);
    const d = await t.digest(body, 'heroku[router]');
    assert.equal(t.running, true);
    const nice = (tid: string) => Number(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
    assert.equal(fs.readdirSync('/proc/self/task').filter((tid) => nice(tid) === BACKGROUND_NICE).length, 1, 'one thread at the log priority: the log thread');
    const here = digestRouterLines(body, 'heroku[router]', Date.now());
    assert.deepEqual(d.apps.map((a) => [a.appId, a.lines, a.minutes.filter((m) => m.minute !== -1)]), here.apps.map((a) => [a.appId, a.lines, a.minutes.filter((m) => m.minute !== -1)]));
    const logOf = (x: typeof d, k: number) => Buffer.from(x.log).subarray(x.apps[k]!.start, x.apps[k]!.end).toString();
    assert.equal(logOf(d, 1), logOf(here, 1));
    t.release(d);
    assert.equal(d.log.buffer.byteLength, 0, 'handed back to the thread');
    const again = await t.digest(batch(Math.floor(Date.now() / 1000) - 120), 'heroku[router]');
    assert.equal(logOf(again, 1), logOf(here, 1), 'written into the buffer handed back');
    await new Promise((r) => setTimeout(r, 800));
    assert.equal(t.running, false, 'stopped after its idle time');
    assert.equal((await t.digest(batch(), 'heroku[router]')).bad, 1, 'started again by the next batch');
  } finally { await t.stop(); }
});

test('lowerThisThread: only the calling thread gets the lower priority, not the process\'s others', { timeout: 10_000 }, async () => {
  const niceOf = (tid: number) => Number(fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
  const main = threadId()!;
  const before = niceOf(main);
  const w = new Worker(`const { parentPort } = require('node:worker_threads'); parentPort.once('message', ({ url }) => import(url).then((m) => parentPort.postMessage({ tid: m.threadId(), lowered: m.lowerThisThread() })));`, { eval: true });
  try {
    w.postMessage({ url: new URL('../core/thread-priority.js', import.meta.url).href });
    const { tid, lowered } = await new Promise<{ tid: number; lowered: boolean }>((r) => w.once('message', r));
    assert.equal(lowered, true);
    assert.notEqual(tid, main);
    assert.equal(niceOf(tid), Math.max(before, BACKGROUND_NICE), 'the worker thread');
    assert.equal(niceOf(main), before, 'the main thread keeps its own');
  } finally { await w.terminate(); }
  assert.equal(typeof lowerThisThread, 'function');
});
