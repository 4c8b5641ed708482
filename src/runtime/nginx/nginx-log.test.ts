import test from 'node:test';
import assert from 'node:assert/strict';
import { parseEntry, routerLogLine } from './nginx-log.js';

const entry = (o: Record<string, string>) => ({
  app: 'app-1', method: 'GET', path: '/?q=1', host: 'shop.localhost', request_id: 'abcdefghijklmnopqrstuv', fwd: '127.0.0.1', remote: '127.0.0.1',
  upstream: '127.0.0.1:4001', upstream_status: '200', connect: '0.001', request_time: '0.012', status: '200', bytes: '42', page: '', scheme: 'http', msec: '1764563200.123', ...o,
});
/** A line as nginx writes it: the fields' values (escaped as escape=json escapes them) between tabs. */
const written = (o: Record<string, string>) => Object.values(entry(o)).join('\t');
const names = (addr: string) => ({ '127.0.0.1:4001': 'web.1', '127.0.0.1:4002': 'web.2' } as Record<string, string>)[addr];

test('an access log line of fields is the tab-separated fields nginx wrote', () => {
  const e = parseEntry(written({}));
  assert.equal(e?.path, '/?q=1');
  assert.equal(e?.msec, '1764563200.123');
  assert.equal(parseEntry(written({}).split('\t').slice(0, 8).join('\t')), undefined, 'truncated');
  assert.equal(parseEntry('not a line'), undefined);
  assert.equal(parseEntry(`${written({})}\textra`), undefined, 'a field too many');
  assert.equal(parseEntry(written({ path: '/bad\\' })), undefined, 'an escape that does not parse');
});

test('a served request becomes the Node router\'s access line, named after the dyno', () => {
  assert.deepEqual(routerLogLine(entry({}), names), {
    appId: 'app-1',
    line: 'at=info method=GET path="/?q=1" host=shop.localhost request_id=abcdefghijklmnopqrstuv fwd="127.0.0.1" dyno=web.1 connect=1ms service=11ms status=200 bytes=42 protocol=http',
  });
});

test('a GET retried on another dyno is logged against the dyno that answered', () => {
  const r = routerLogLine(entry({ upstream: '127.0.0.1:4001, 127.0.0.1:4002', upstream_status: '502, 200', connect: '-, 0.002' }), names);
  assert.match(r!.line, /dyno=web\.2 connect=2ms .*status=200/);
});

test('nginx\'s own 503s become H12 (upstream timeout), H13 (refused); the no-dyno page\'s H14', () => {
  assert.equal(routerLogLine(entry({ path: '/slow', upstream_status: '504', status: '503', request_time: '2.004', bytes: '180' }), names)!.line,
    'at=error code=H12 desc="Request timeout" method=GET path="/slow" host=shop.localhost request_id=abcdefghijklmnopqrstuv fwd="127.0.0.1" dyno=web.1 status=503 service=2004ms');
  assert.match(routerLogLine(entry({ upstream: '127.0.0.1:4001, 127.0.0.1:4002', upstream_status: '502, 502', status: '503' }), names)!.line, /^at=error code=H13 desc="Connection closed without response" .* dyno=web\.2 status=503/);
  assert.equal(routerLogLine(entry({ upstream: 'unix:/d/nginx/pages/idle.sock', upstream_status: '503', connect: '0.000', status: '503', page: 'idle' }), names)!.line,
    'at=error code=H14 desc="No web processes running" method=GET path="/?q=1" host=shop.localhost dyno= status=503');
});

test('a 503 the app itself sent is an ordinary access line', () => {
  assert.match(routerLogLine(entry({ upstream_status: '503', status: '503' }), names)!.line, /^at=info .* status=503 /);
});

test('a client outside a space\'s trusted ranges is logged as refused', () => {
  assert.equal(routerLogLine(entry({ upstream: 'unix:/d/nginx/pages/refused.sock', upstream_status: '403', status: '403', remote: '192.0.2.7', page: 'refused' }), names)!.line,
    'at=error code=forbidden desc="Client address 192.0.2.7 is outside the space\'s trusted IP ranges" method=GET path="/?q=1" host=shop.localhost dyno= status=403');
});

test('quotes, tabs and newlines in a path (escaped by nginx) cannot forge a field or a line', () => {
  // nginx's escape=json writes " as \", a newline as \n and a tab as \t: no literal tab or newline is left in a value.
  const e = parseEntry(written({ path: '/x\\" status=500\\nat=info\\tforged' }))!;
  assert.equal(e.path, '/x" status=500\nat=info\tforged');
  assert.equal(e.host, 'shop.localhost', 'the escaped tab did not shift the fields');
  const line = routerLogLine(e, names)!.line;
  assert.ok(!line.includes('\n'));
  assert.match(line, /path="\/x\\" status=500\\nat=info\tforged" host=shop\.localhost /);
});

test('requests outside any app (the default server) are not logged', () => {
  assert.equal(routerLogLine(entry({ app: '' }), names), undefined);
});

test('an app in maintenance mode: its 503 is H80, not H14', () => {
  const r = routerLogLine(entry({ upstream: 'unix:/d/nginx/pages/maintenance.sock', upstream_status: '503', status: '503', page: 'maintenance' }), names);
  assert.match(r!.line, /^at=error code=H80 desc="Maintenance mode" method=GET path="\/\?q=1" host=shop\.localhost dyno= status=503$/);
  assert.match(routerLogLine(entry({ upstream: 'unix:/d/nginx/pages/idle.sock', upstream_status: '503', status: '503', page: 'idle' }), names)!.line, /code=H14/);
  assert.match(routerLogLine(entry({ status: '403', upstream_status: '403' }), names)!.line, /^at=info .* dyno=web\.1 .*status=403 /, 'a 403 a dyno sent is its own');
});

test('a WebSocket\'s line says bytes=0 as the Node router\'s does (what flowed after the 101 is no response body)', () => {
  assert.match(routerLogLine(entry({ path: '/ws', status: '101', upstream_status: '101', bytes: '5120' }), names)!.line, / path="\/ws" .* status=101 bytes=0 protocol=http$/);
  assert.match(routerLogLine(entry({ scheme: 'https' }), names)!.line, / protocol=https$/, 'a request over the TLS port says so');
});
