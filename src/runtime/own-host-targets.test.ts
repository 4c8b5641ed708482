import { test } from 'node:test';
import assert from 'node:assert/strict';
import { routableTargets } from './own-host-targets.js';
import type { WebTarget } from './router.js';

const here = new Set(['127.0.0.1', '10.0.0.1']);
const t = (name: string, host: string, own?: boolean): WebTarget => ({ id: name, name, host, port: 5000, ...(own ? { own } : {}) });

test('a router forwards to other hosts\' dynos, never to its own host\'s addresses on a remote agent\'s word', { timeout: 5000 }, () => {
  const refused: string[] = [];
  const check = { atThisHost: (h: string) => here.has(h), besideServer: true, refused: (x: WebTarget) => refused.push(x.name) };
  const out = routableTargets([t('remote', '10.0.0.2'), t('forged', '10.0.0.1'), t('forged-lo', '127.0.0.1'), t('local', '127.0.0.1', true)], check);
  assert.deepEqual(out.map((x) => x.name), ['remote', 'local']);
  assert.deepEqual(refused, ['forged', 'forged-lo']);
});

test('a router on another host than the server takes no dyno at its own addresses, the server\'s own included', { timeout: 5000 }, () => {
  const refused: string[] = [];
  const out = routableTargets([t('local', '127.0.0.1', true), t('there', '10.0.0.9', true)], { atThisHost: (h) => here.has(h), besideServer: false, refused: (x) => refused.push(x.name) });
  assert.deepEqual(out.map((x) => x.name), ['there']);
  assert.deepEqual(refused, ['local']);
});

test('no router forwards to a link-local, multicast or broadcast address, whoever reported it', { timeout: 5000 }, () => {
  const refused: string[] = [];
  const out = routableTargets([t('metadata', '169.254.169.254', true), t('mapped', '::ffff:169.254.169.254'), t('v6', 'fe80::1'), t('multicast', '239.1.2.3'), t('broadcast', '255.255.255.255'), t('fine', '10.0.0.2')],
    { atThisHost: () => false, besideServer: true, refused: (x) => refused.push(x.name) });
  assert.deepEqual(out.map((x) => x.name), ['fine']);
  assert.deepEqual(refused, ['metadata', 'mapped', 'v6', 'multicast', 'broadcast']);
});
