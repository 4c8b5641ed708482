import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildQuery, buildResponse, parseQuery, parseResponse, RCODE, TYPE_A } from './dns-packet.js';
import { answer } from './dns-zone.js';

test('a query round-trips through the parser', () => {
  const q = parseQuery(buildQuery(0x1234, 'Web.Shop.app.localspace'))!;
  assert.equal(q.id, 0x1234);
  assert.equal(q.name, 'web.shop.app.localspace');
  assert.equal(q.type, TYPE_A);
  assert.equal(q.cls, 1);
});

test('malformed packets and responses are not queries', () => {
  assert.equal(parseQuery(Buffer.alloc(5)), undefined);
  const q = buildQuery(1, 'a.b');
  assert.equal(parseQuery(q.subarray(0, q.length - 3)), undefined, 'truncated question');
  const resp = buildResponse(q, parseQuery(q)!, RCODE.ok, []);
  assert.equal(parseQuery(resp), undefined, 'a response is not a query');
  const bad = Buffer.from(q);
  bad[12] = 0xc0; // a compression pointer in a question
  assert.equal(parseQuery(bad), undefined);
});

test('responses carry the id, rcode and A records', () => {
  const query = buildQuery(77, 'web.shop.app.localspace');
  const r = parseResponse(buildResponse(query, parseQuery(query)!, RCODE.ok, ['10.213.0.2', '10.213.0.3']));
  assert.deepEqual(r, { id: 77, rcode: 0, addresses: ['10.213.0.2', '10.213.0.3'] });
  assert.equal(parseResponse(buildResponse(query, parseQuery(query)!, RCODE.nxDomain)).rcode, 3);
});

test('the zone: process names, numbered dynos, NXDOMAIN, empty AAAA, refused outside', () => {
  const entries = [
    { app: 'shop', process: 'web', index: 1, address: '10.213.0.3' },
    { app: 'shop', process: 'web', index: 2, address: '10.213.0.2' },
    { app: 'shop', process: 'worker', index: 1, address: '10.213.0.4' },
  ];
  assert.deepEqual(answer(entries, 'web.shop.app.localspace', TYPE_A), { rcode: 0, addresses: ['10.213.0.2', '10.213.0.3'] });
  assert.deepEqual(answer(entries, '2.web.shop.app.localspace.', TYPE_A), { rcode: 0, addresses: ['10.213.0.2'] });
  assert.deepEqual(answer(entries, 'worker.shop.app.localspace', 28), { rcode: 0, addresses: [] });
  assert.equal(answer(entries, '3.web.shop.app.localspace', TYPE_A).rcode, RCODE.nxDomain);
  assert.equal(answer(entries, 'web.other.app.localspace', TYPE_A).rcode, RCODE.nxDomain);
  assert.equal(answer(entries, 'example.com', TYPE_A).rcode, RCODE.refused);
});
