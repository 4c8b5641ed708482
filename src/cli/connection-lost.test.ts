import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionLost, networkReason } from './connection-lost.js';
import { EXIT } from './errors.js';

test('fetch failures and closed streams are network failures, named by their innermost reason', () => {
  const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }) });
  assert.equal(networkReason(refused), 'connect ECONNREFUSED 127.0.0.1:9');
  const closed = new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
  assert.equal(networkReason(closed), 'UND_ERR_SOCKET: other side closed');
  assert.equal(networkReason(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), 'read ECONNRESET');
  assert.equal(networkReason(new Error('socket hang up')), 'socket hang up');
  assert.equal(networkReason(new TypeError('x is not a function')), undefined, 'a bug is not a network failure');
  assert.equal(networkReason(new Error('boom')), undefined);
});

test('a lost connection is one line with exit code 3', () => {
  const e = connectionLost('http://127.0.0.1:5000', 'following output', new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }));
  assert.equal(e.code, EXIT.unreachable);
  assert.doesNotMatch(e.message, /\n/);
  assert.match(e.message, /^Lost the connection to the Slipway server at http:\/\/127\.0\.0\.1:5000 while following output \(UND_ERR_SOCKET: other side closed\)/);
});
