import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import os from 'node:os';
import { meansThisHost, reachesThisHost } from './this-host-address.js';

test('loopback and unspecified addresses, in every spelling, mean this host; others do not', { timeout: 5000 }, () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '0.0.0.0', '0.1.2.3', '::1', '[::1]', '::', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:0.0.0.0', 'localhost', 'LOCALHOST.', 'a.localhost', ' 127.0.0.1 ']) {
    assert.equal(meansThisHost(a), true, a);
  }
  for (const a of ['10.231.4.2', '192.168.1.1', '128.0.0.1', '::2', 'fe80::1', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '']) {
    assert.equal(meansThisHost(a), false, a);
  }
});

test('this host\'s interface addresses reach it too, loopback included; other addresses do not', { timeout: 5000 }, () => {
  const own = Object.values(os.networkInterfaces()).flatMap((l) => (l ?? []).map((a) => a.address));
  assert.ok(own.length > 0);
  for (const a of own) assert.equal(reachesThisHost(a), true, a);
  for (const a of own.filter((x) => net.isIPv4(x))) assert.equal(reachesThisHost(`::ffff:${a}`), true, `::ffff:${a}`);
  for (const a of ['127.0.0.1', '::1', '0.0.0.0']) assert.equal(reachesThisHost(a), true, a);
  for (const a of ['192.0.2.77', '2001:db8::77'].filter((x) => !own.includes(x))) assert.equal(reachesThisHost(a), false, a);
});
