import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouterFeed } from './router-feed.js';
import type { RouterApp, TableMessage } from './router-wire.js';

const app = (id: string, port: number): RouterApp => ({ id, name: id, hostnames: [], maintenance: false, internal: false, trusted: null, dynos: [{ id: `d${port}`, host: '127.0.0.1', port, name: 'web.1' }] });

test('a router gets the snapshot, then only what changed; versions grow', () => {
  let apps = [app('a', 1)];
  const feed = new RouterFeed(() => apps);
  feed.publish();
  const got: TableMessage[] = [];
  const stop = feed.subscribe('r1', (ms) => got.push(...ms), () => {});
  assert.equal(got[0]!.type, 'snapshot');
  const v0 = feed.version;
  feed.publish(); // nothing changed: nothing sent
  apps = [app('a', 2), app('b', 3)];
  feed.publish();
  assert.deepEqual(got.slice(1).map((m) => m.type), ['app', 'app']);
  assert.equal(feed.version, v0 + 1);
  stop();
});

test('applied waits for every connected router (and the expected one) to serve the version; a late older report does not count', async () => {
  let apps = [app('a', 1)];
  const feed = new RouterFeed(() => apps);
  feed.expected = 1;
  feed.publish();
  // No router connected yet: waits until the deadline.
  const t0 = Date.now();
  await feed.applied(feed.version, Date.now() + 100);
  assert.ok(Date.now() - t0 >= 90);
  feed.subscribe('r1', () => {}, () => {});
  apps = [app('a', 2)];
  feed.publish();
  const v = feed.version;
  let done = false;
  const waiting = feed.applied(v, Date.now() + 5000).then(() => { done = true; });
  feed.report({ instance: 'r1', seq: 2, version: v - 1, in_flight: { d1: 1 } });
  await new Promise((r) => setTimeout(r, 20));
  assert.equal(done, false);
  feed.report({ instance: 'r1', seq: 3, version: v, in_flight: { d1: 1 } });
  await waiting;
  assert.equal(feed.inFlight('d1'), 1);
  feed.report({ instance: 'r1', seq: 1, version: v, in_flight: { d1: 5 } }); // older: ignored
  assert.equal(feed.inFlight('d1'), 1);
  feed.report({ instance: 'r1', seq: 4, version: v, in_flight: {} });
  assert.equal(feed.inFlight('d1'), 0);
});

test('close ends every stream', () => {
  const feed = new RouterFeed(() => []);
  let ended = 0;
  feed.subscribe('r1', () => {}, () => { ended++; });
  feed.subscribe('r2', () => {}, () => { ended++; });
  feed.close();
  assert.equal(ended, 2);
});
