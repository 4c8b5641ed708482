import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionsTo, hexEndpoint } from './dyno-connections.js';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0501A8C0:1388 01 00000000:00000000 00:00000000 00000000     0        0 2 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:C351 0501A8C0:1388 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:C352 0501A8C0:1388 06 00000000:00000000 03:00000000 00000000     0        0 0 3 0000000000000000
   4: 0100007F:C353 0601A8C0:1388 01 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 20 4 30 10 -1
   5: 0100007F:C354 0601A8C0:1388 02 00000000:00000000 01:00000000 00000000     0        0 5 1 0000000000000000 20 4 30 10 -1
`;

test('the established connections to one dyno are counted, and one being opened; listening, TIME-WAIT and other dynos\' are not', { timeout: 5000 }, () => {
  assert.equal(hexEndpoint('192.168.1.5', 5000), '0501A8C0:1388');
  assert.equal(connectionsTo(TABLE, '192.168.1.5', 5000), 2);
  assert.equal(connectionsTo(TABLE, '192.168.1.6', 5000), 2);
  assert.equal(connectionsTo(TABLE, '192.168.1.5', 5001), 0);
  assert.equal(connectionsTo('', '192.168.1.5', 5000), 0);
});
