import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meansThisHost } from './this-host-address.js';

test('loopback and unspecified addresses, in every spelling, mean this host; others do not', { timeout: 5000 }, () => {
  for (const a of ['127.0.0.1', '127.1.2.3', '0.0.0.0', '0.1.2.3', '::1', '[::1]', '::', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:0.0.0.0', 'localhost', 'LOCALHOST.', 'a.localhost', ' 127.0.0.1 ']) {
    assert.equal(meansThisHost(a), true, a);
  }
  for (const a of ['10.231.4.2', '192.168.1.1', '128.0.0.1', '::2', 'fe80::1', '::ffff:10.0.0.1', 'example.com', 'localhost.example.com', '']) {
    assert.equal(meansThisHost(a), false, a);
  }
});
