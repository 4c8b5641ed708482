import test from 'node:test';
import assert from 'node:assert/strict';
import { accessLine, errorLine } from './router-log.js';

test('an access line has Heroku router fields in Heroku order', () => {
  assert.equal(accessLine({ method: 'GET', path: '/a?b=1', host: 'shop.localhost', requestId: 'r1', fwd: '127.0.0.1', dyno: 'web.2', connectMs: 1, serviceMs: 12, status: 200, bytes: 345, protocol: 'http' }),
    'at=info method=GET path="/a?b=1" host=shop.localhost request_id=r1 fwd="127.0.0.1" dyno=web.2 connect=1ms service=12ms status=200 bytes=345 protocol=http');
});

test('quotes and newlines in a path cannot forge another field or line', () => {
  const line = accessLine({ method: 'GET', path: '/x" status=500\nat=info', host: 'h', requestId: 'r', fwd: 'f', dyno: 'web.1', connectMs: 0, serviceMs: 0, status: 200, bytes: 0, protocol: 'http' });
  assert.ok(!line.includes('\n'));
  assert.match(line, /path="\/x\\" status=500\\nat=info"/);
});

test('an error line carries the code, description and status', () => {
  assert.equal(errorLine({ code: 'H12', desc: 'Request timeout', method: 'POST', path: '/slow', host: 'shop.localhost', requestId: 'r2', fwd: '10.0.0.1', dyno: 'web.1', status: 503, serviceMs: 30000 }),
    'at=error code=H12 desc="Request timeout" method=POST path="/slow" host=shop.localhost request_id=r2 fwd="10.0.0.1" dyno=web.1 status=503 service=30000ms');
  assert.equal(errorLine({ code: 'H14', desc: 'No web processes running', method: 'GET', path: '/', host: 'a.localhost', status: 503 }),
    'at=error code=H14 desc="No web processes running" method=GET path="/" host=a.localhost dyno= status=503');
});
