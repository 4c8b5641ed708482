import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressPool, contains, formatCidr, isTrusted, overlaps, parseCidr, parseIp, spaceAddresses, spaceCidrProblem, spaceSlice, spaceVni } from './cidr.js';

test('parse and format addresses and CIDRs; the base is normalised', () => {
  assert.equal(parseIp('10.213.1.2'), (10 << 24 >>> 0) + (213 << 16) + (1 << 8) + 2);
  assert.equal(parseIp('256.1.1.1'), undefined);
  assert.equal(parseIp('10.1.1'), undefined);
  assert.equal(formatCidr(parseCidr('10.213.7.9/16')!), '10.213.0.0/16');
  assert.equal(formatCidr(parseCidr('192.0.2.1')!), '192.0.2.1/32');
  assert.equal(parseCidr('10.0.0.0/33'), undefined);
  assert.equal(parseCidr('10.0.0.0/8/1'), undefined);
  assert.equal(formatCidr(parseCidr('0.0.0.0/0')!), '0.0.0.0/0');
});

test('contains and overlaps', () => {
  const a = parseCidr('10.213.0.0/16')!;
  assert.ok(contains(a, parseIp('10.213.255.254')!));
  assert.ok(!contains(a, parseIp('10.214.0.1')!));
  assert.ok(overlaps(a, parseCidr('10.0.0.0/8')!));
  assert.ok(overlaps(parseCidr('10.213.5.0/24')!, a));
  assert.ok(!overlaps(a, parseCidr('10.214.0.0/16')!));
});

test('a space CIDR is a private /16', () => {
  assert.equal(spaceCidrProblem('10.213.0.0/16'), undefined);
  assert.equal(spaceCidrProblem('172.20.0.0/16'), undefined);
  assert.match(spaceCidrProblem('10.213.0.0/24')!, /must be a \/16/);
  assert.match(spaceCidrProblem('8.8.0.0/16')!, /not a private/);
  assert.match(spaceCidrProblem('172.32.0.0/16')!, /not a private/);
  assert.match(spaceCidrProblem('banana')!, /not a CIDR/);
  assert.match(spaceCidrProblem('10.213.0.0')!, /not a CIDR/);
});

test('gateway is the first address, egress the second to last', () => {
  assert.deepEqual(spaceAddresses(parseCidr('10.213.0.0/16')!), { gateway: '10.213.0.1', egress: '10.213.255.254', prefix: 16 });
});

test('the address pool skips gateway and egress, does not reuse at once, and runs out', () => {
  const pool = new AddressPool(parseCidr('10.9.0.0/29')!); // .0 net, .1 gw, .2-.5 dynos, .6 egress, .7 broadcast
  const got = [pool.take(), pool.take(), pool.take(), pool.take()];
  assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5']);
  assert.equal(pool.take(), undefined);
  pool.give('10.9.0.3');
  assert.equal(pool.take(), '10.9.0.3');
  assert.equal(pool.size, 4);
  const big = new AddressPool(parseCidr('10.9.0.0/16')!);
  const first = big.take()!;
  big.give(first);
  assert.notEqual(big.take(), first, 'a released address waits its turn');
  const both = new AddressPool(parseCidr('10.9.0.0/29')!);
  assert.deepEqual([both.take('top'), both.take(), both.take('top'), both.take()], ['10.9.0.5', '10.9.0.2', '10.9.0.4', '10.9.0.3'], 'add-ons from the top, the rest from the bottom');
  assert.equal(both.take('top'), undefined);
});

test('trusted-IP matching', () => {
  assert.ok(isTrusted(['0.0.0.0/0'], '::1'), '0.0.0.0/0 lets everyone in');
  assert.ok(isTrusted(['10.219.0.8/29'], '10.219.0.10'));
  assert.ok(isTrusted(['10.219.0.8/29'], '::ffff:10.219.0.10'));
  assert.ok(!isTrusted(['10.219.0.8/29'], '10.219.0.20'));
  assert.ok(!isTrusted(['10.219.0.8/29'], '::1'));
  assert.ok(!isTrusted([], '10.219.0.10'), 'no ranges: nobody');
  assert.ok(isTrusted(['garbage', '192.0.2.7/32'], '192.0.2.7'));
});

test('a space spanning hosts: each host hands out only its own /22 slice, never two hosts one address', () => {
  const c = parseCidr('10.213.0.0/16')!;
  const seen = new Set<string>();
  for (const slice of [0, 1, 63]) {
    const pool = new AddressPool(c, slice);
    const got: string[] = [];
    for (let a = pool.take(); a; a = pool.take()) got.push(a);
    assert.equal(got.length, 1020, `slice ${slice} holds 1020 dyno addresses`);
    for (const a of got) { assert.ok(!seen.has(a), `${a} handed out by one host only`); seen.add(a); }
    assert.ok(got.every((a) => contains(spaceSlice(c, slice), parseIp(a)!)), 'all inside the slice');
  }
  assert.ok(!seen.has('10.213.0.1') && !seen.has('10.213.255.254'), 'never the gateway nor the egress address');
  assert.ok(!seen.has('10.213.4.0') && !seen.has('10.213.4.1'), 'never a slice\'s next hop');
  assert.equal(spaceVni(c), (10 << 8) + 213);
  // Narrowed after it handed out addresses (the local agent learns its slice): those stay taken, new ones come from the slice.
  const pool = new AddressPool(c);
  const before = pool.take()!;
  pool.narrow(0);
  const after = pool.take()!;
  assert.ok(contains(spaceSlice(c, 0), parseIp(after)!));
  assert.notEqual(after, before, 'an address handed out before stays taken');
  assert.ok(!pool.claim(before));
});
