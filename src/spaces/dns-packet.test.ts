import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildResponse, parseQuery, RCODE, TYPE_A } from './dns-packet.js';
import { answer } from './dns-zone.js';

/** A query for `name`, as a resolver sends it. */
function buildQuery(id: number, name: string, type = TYPE_A): Buffer {
  const parts = name.split('.').filter(Boolean).map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3); // class IN
  return Buffer.concat([header, ...parts, tail]);
}

/** The rcode and A-record addresses of a response, as a resolver reads them. */
function parseResponse(buf: Buffer): { id: number; rcode: number; addresses: string[] } {
  const q = parseQuery(Buffer.concat([buf.subarray(0, 2), Buffer.from([buf[2]! & 0x7f, buf[3]!]), buf.subarray(4)]))!;
  const count = buf.readUInt16BE(6);
  const addresses: string[] = [];
  let i = q.end;
  for (let k = 0; k < count; k++) {
    const len = buf.readUInt16BE(i + 10);
    if (buf.readUInt16BE(i + 2) === TYPE_A && len === 4) addresses.push([...buf.subarray(i + 12, i + 16)].join('.'));
    i += 12 + len;
  }
  return { id: q.id, rcode: buf[3]! & 0xf, addresses };
}

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
