import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessLine, errorLine } from '../runtime/router-log.js';
import { dynoErrorCode, routerSample, routerSampleOf } from './router-sample.js';

test('an access line gives its status class and connect + service time', () => {
  const line = accessLine({ method: 'GET', path: '/a "status=500 service=9ms"', host: 'a.example', requestId: 'r', fwd: '1.2.3.4', dyno: 'web.1', connectMs: 2, serviceMs: 31, status: 201, bytes: 5, protocol: 'http' });
  assert.deepEqual(routerSample(line), { statusClass: 2, serviceMs: 33 });
  const forged = accessLine({ method: 'GET', path: '/a status=500 connect=9000ms', host: 'a', requestId: 'r', fwd: 'x status=404', dyno: 'web.1', connectMs: 1, serviceMs: 1, status: 200, bytes: 5, protocol: 'http' });
  assert.deepEqual(routerSample(forged), { statusClass: 2, serviceMs: 2 });
  assert.equal(routerSample(line.replace('status=201', 'status=101'))?.statusClass, 2);
  assert.equal(routerSample(line.replace('status=201', 'status=302'))?.statusClass, 3);
});

test('an error line gives its code; other lines and forged fields give nothing', () => {
  const line = errorLine({ code: 'H12', desc: 'Request timeout', method: 'GET', path: '/', host: 'a', dyno: 'web.1', status: 503, serviceMs: 30000 });
  assert.deepEqual(routerSample(line), { statusClass: 5, serviceMs: 30000, code: 'H12' });
  assert.equal(routerSample('State changed from up to down'), undefined);
  assert.equal(routerSample('at=info method=GET status=abc'), undefined);
  assert.equal(routerSample(line.replace('code=H12', 'code=<script>'))?.code, undefined);
});

test('R14 and R15 in a dyno line', () => {
  assert.equal(dynoErrorCode('Error R14 (Memory quota exceeded)'), 'R14');
  assert.equal(dynoErrorCode('Error R15 (Memory quota vastly exceeded)'), 'R15');
  assert.equal(dynoErrorCode('printed Error R14 (by the app)'), undefined);
});

test('an access line read from a batch\'s bytes: only what follows its last quote counts, the last of each field', () => {
  const batch = (lines: string[]) => Buffer.from(lines.join('\n'));
  const lines = [
    'at=info method=GET path="/x\\" status=500 service=9999ms" host=a request_id=r fwd="1.2.3.4\\" connect=7000ms" dyno=web.1 connect=1ms service=12ms status=404 bytes=5 protocol=http',
    'at=info method=GET path="/" host=a" status=500 request_id=r fwd="1.2.3.4" dyno=web.1 connect=0ms service=3ms status=200 bytes=5 protocol=http',
    'at=info method=GET path="/" host=a request_id=r fwd="1.2.3.4" dyno=web.1 connect=0ms service=3ms status=200x bytes=5 protocol=http',
    'at=info method=GET path="/" host=a request_id=r fwd="1.2.3.4" dyno=web.1 connect=0ms service=3s status=302',
    'at=error code=H12 desc="Request timeout" method=GET path="/" host=a dyno=web.1 status=503 service=30000ms',
  ];
  const buf = batch(lines);
  let start = 0;
  const samples = lines.map((l) => { const s = routerSampleOf(buf, start, start + Buffer.byteLength(l)); start += Buffer.byteLength(l) + 1; return s; });
  assert.deepEqual(samples, [
    { statusClass: 4, serviceMs: 13 },
    { statusClass: 2, serviceMs: 3 },
    undefined,
    { statusClass: 3, serviceMs: 0 },
    { statusClass: 5, serviceMs: 30000, code: 'H12' },
  ]);
  assert.deepEqual(samples.slice(0, 2), lines.slice(0, 2).map(routerSample), 'the same as a line read as a string');
});

test('an access line\'s own ending is read backwards; any other ending the general way, with the same result', () => {
  const read = (l: string) => routerSampleOf(Buffer.from(`x${l}y`), 1, 1 + Buffer.byteLength(l));
  const head = 'at=info method=GET path="/ connect=1ms service=2ms status=500" host=a request_id=r fwd="1.2.3.4"';
  assert.deepEqual(read(`${head} dyno=web.1 connect=4ms service=120ms status=201 bytes=5 protocol=https`), { statusClass: 2, serviceMs: 124 });
  assert.deepEqual(read(`${head} dyno=web.1 connect=0ms service=3ms status=503 bytes=0 protocol=http`), { statusClass: 5, serviceMs: 3 });
  // Endings the backward reading does not take: the general one decides (and agrees with the line read as a string).
  const others = [
    `${head} dyno=web.1 connect=0ms service=3ms status=2000 bytes=5 protocol=http`,
    `${head} dyno=web.1 connect=0ms service=12345678901ms status=200 bytes=5 protocol=http`,
    `${head} dyno=web.1 connect=0ms service=3ms status=200 bytes=5 protocol=http2x`,
    `${head} dyno=web.1 service=3ms status=200 bytes=5 protocol=http`,
    `${head} dyno=web.1 connect=0ms service=3ms status=200 bytes= protocol=http`,
    `at=info method=GET path="/ connect=0ms service=3ms status=200 bytes=5 protocol=http"`,
    `${head} dyno=web.1 connect=0ms service=3ms status=099 bytes=5 protocol=http`,
  ];
  assert.deepEqual(others.map(read), [undefined, { statusClass: 2, serviceMs: 0 }, { statusClass: 2, serviceMs: 3 }, { statusClass: 2, serviceMs: 3 }, { statusClass: 2, serviceMs: 3 }, undefined, undefined]);
});
