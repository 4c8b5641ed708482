import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rulesetScript } from './nft-rules.js';

const space = { bridge: 'slwab12c0ffee', cidr: '10.213.0.0/16', gateway: '10.213.0.1', egress: '10.213.255.254', egressRules: [{ cidr: '10.213.0.1/32', port: 8080 }, { cidr: '192.0.2.9/32' }] };

test('no spaces: the table is only deleted (atomically, whether or not it exists)', () => {
  assert.equal(rulesetScript('slipway_ab12', 'slwab12', 0, []), 'table inet slipway_ab12\ndelete table inet slipway_ab12\n');
});

test('one space: intra-bridge forward, DNS and egress allow-list in, server uid out, SNAT to the egress address', () => {
  const s = rulesetScript('slipway_ab12', 'slwab12', 0, [space]);
  assert.ok(s.startsWith('table inet slipway_ab12\ndelete table inet slipway_ab12\ntable inet slipway_ab12 {\n'));
  const lines = s.split('\n').map((l) => l.trim());
  const inChain = (name: string) => lines.slice(lines.indexOf(`chain ${name} {`) + 1, lines.indexOf('}', lines.indexOf(`chain ${name} {`)));
  assert.deepEqual(inChain('forward').slice(1), ['iifname "slwab12c0ffee" oifname "slwab12c0ffee" accept', 'iifname "slwab12*" reject', 'oifname "slwab12*" reject']);
  assert.deepEqual(inChain('input').slice(1), [
    'iifname "slwab12c0ffee" ct direction reply accept',
    'iifname "slwab12c0ffee" ct state related accept',
    'iifname "slwab12c0ffee" ip daddr 10.213.0.1 meta l4proto { tcp, udp } th dport 53 accept',
    'iifname "slwab12c0ffee" ip daddr 10.213.0.1/32 meta l4proto { tcp, udp } th dport 8080 accept',
    'iifname "slwab12c0ffee" ip daddr 192.0.2.9/32 accept',
    'iifname "slwab12c0ffee" reject',
  ]);
  assert.deepEqual(inChain('output').slice(1), ['oifname "slwab12c0ffee" ct state established,related,untracked accept', 'oifname "slwab12c0ffee" meta skuid 0 accept', 'oifname "slwab12c0ffee" reject']);
  assert.deepEqual(inChain('egress_nat'), ['type nat hook input priority 100; policy accept;', 'iifname "slwab12c0ffee" ip daddr 10.213.0.1 meta l4proto { tcp, udp } th dport 53 return', 'iifname "slwab12c0ffee" ip saddr 10.213.0.0/16 snat ip to 10.213.255.254']);
});

test('two spaces: each bridge only forwards to itself; the catch-all comes after both', () => {
  const s = rulesetScript('t', 'slwab12', 1000, [space, { ...space, bridge: 'slwab12beef00', cidr: '10.214.0.0/16', gateway: '10.214.0.1', egress: '10.214.255.254', egressRules: [] }]);
  const fwd = s.slice(s.indexOf('chain forward'), s.indexOf('chain input'));
  assert.ok(fwd.indexOf('"slwab12beef00" oifname "slwab12beef00" accept') < fwd.indexOf('iifname "slwab12*" reject'));
  assert.match(s, /oifname "slwab12beef00" meta skuid 1000 accept/);
  assert.doesNotMatch(s, /"slwab12beef00" ip daddr 10.213/);
});

test('a space spanning hosts: its bridge forwards to its own VXLAN device only; the VXLAN port only from peers, never from a sandbox', () => {
  const guard = { port: 4789, peers: ['192.0.2.3', '192.0.2.4'], devicePrefix: 'slxab12', sandboxPrefixes: ['slwab12', 'slnab12'] };
  const s = rulesetScript('t', 'slwab12', 0, [{ ...space, overlay: 'slxab12c0ffee' }], guard);
  const lines = s.split('\n').map((l) => l.trim());
  const inChain = (name: string) => lines.slice(lines.indexOf(`chain ${name} {`) + 2, lines.indexOf('}', lines.indexOf(`chain ${name} {`)));
  assert.deepEqual(inChain('forward'), [
    'iifname "slwab12*" udp dport 4789 drop', 'iifname "slnab12*" udp dport 4789 drop',
    'iifname "slwab12c0ffee" oifname "slwab12c0ffee" accept', 'iifname "slwab12c0ffee" oifname "slxab12c0ffee" accept', 'iifname "slxab12c0ffee" oifname "slwab12c0ffee" accept',
    'iifname "slwab12*" reject', 'oifname "slwab12*" reject', 'iifname "slxab12*" reject', 'oifname "slxab12*" reject',
  ]);
  assert.deepEqual(inChain('input').slice(0, 2), ['udp dport 4789 ip saddr != { 192.0.2.3, 192.0.2.4 } drop', 'iifname "slxab12*" drop']);
  assert.deepEqual(inChain('output').slice(-2), ['oifname "slxab12*" ct state established,related accept', 'oifname "slxab12*" reject']);
  assert.match(rulesetScript('t', 'slwab12', 0, [space], { ...guard, peers: [] }), /\n {4}udp dport 4789 drop\n/, 'no peer yet: the port is closed to all');
});
