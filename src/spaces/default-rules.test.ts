import { test } from 'node:test';
import assert from 'node:assert/strict';
import { accessScript, defaultRulesScript } from './default-rules.js';

const f = { table: 'slipwaynet_ab12', bridge: 'slnab12', cidr: '100.81.0.0/20', gateway: '100.81.0.1', serverUid: 0, access: [['100.81.0.2', '100.81.0.9']] as Array<[string, string]>, relays: [['100.81.0.2', 40001]] as Array<[string, number]> };

test('namespaces reach each other only through the access pairs, and the host only for DNS', () => {
  const s = defaultRulesScript(f);
  assert.match(s, /^table inet slipwaynet_ab12\ndelete table inet slipwaynet_ab12\n/);
  assert.match(s, /elements = \{ 100\.81\.0\.2 \. 100\.81\.0\.9 \}/);
  const forward = s.slice(s.indexOf('chain forward'), s.indexOf('chain input'));
  // The pair rule comes before the bridge-to-bridge reject, which comes before "out to the world".
  assert.ok(forward.indexOf('@access accept') < forward.indexOf('oifname "slnab12" reject'));
  assert.ok(forward.indexOf('oifname "slnab12" reject') < forward.indexOf('iifname "slnab12" accept'));
  assert.match(s, /iifname "slnab12" ip daddr 100\.81\.0\.1 udp dport 53 accept\n\s+iifname "slnab12" ip daddr 100\.81\.0\.1 ip saddr \. tcp dport @relays accept\n\s+iifname "slnab12" reject/);
  assert.match(s, /set relays \{\n\s+type ipv4_addr \. inet_service\n\s+elements = \{ 100\.81\.0\.2 \. 40001 \}/);
  assert.match(s, /iifname != \{ "slnab12", "lo" \} ip daddr 100\.81\.0\.1 reject/);
  assert.match(s, /oifname "slnab12" meta skuid 0 accept\n\s+oifname "slnab12" ct state established accept\n\s+oifname "slnab12" reject/);
  assert.match(s, /ip saddr 100\.81\.0\.0\/20 oifname != "slnab12" masquerade/);
});

test('no pairs: an empty set, and the swap script only flushes', () => {
  assert.doesNotMatch(defaultRulesScript({ ...f, access: [], relays: [] }), /elements/);
  assert.equal(accessScript('t', []), 'flush set inet t access\nflush set inet t relays\n');
  assert.equal(accessScript('t', [['1.1.1.1', '2.2.2.2']], [['1.1.1.1', 5]]),
    'flush set inet t access\nflush set inet t relays\nadd element inet t access { 1.1.1.1 . 2.2.2.2 }\nadd element inet t relays { 1.1.1.1 . 5 }\n');
});
