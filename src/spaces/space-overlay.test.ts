import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { parseCidr } from './cidr.js';
import { makeOverlay, overlayPlan, removeOverlay, vtepMac, type Overlay } from './space-overlay.js';
import { probeNetAdmin } from './net.js';

const overlay = (peers: Overlay['peers'], local = '10.231.99.1'): Overlay => ({ name: 'slxunit0', spaceId: 'space-1', vni: 4242, cidr: parseCidr('10.250.0.0/16')!, bridge: 'slxunitbr', local, peers });
const A = { address: '10.231.99.2', slice: 1 };
const B = { address: '10.231.99.3', slice: 2 };
const C = { address: '10.231.99.4', slice: 3 };

test('a new overlay is made whole; a peer that comes or goes changes only its entries, the device stays', { timeout: 5000 }, () => {
  const first = overlayPlan(undefined, overlay([A, B]));
  assert.equal(first.remake, true);
  assert.match(first.ip[0]!, /^link add slxunit0 address 02:\S+ type vxlan id 4242 local 10\.231\.99\.1 dstport 4789 nolearning$/);
  const now = {
    vni: 4242, local: '10.231.99.1', mac: vtepMac('space-1', '10.231.99.1'),
    neigh: [{ dst: '10.250.4.0' }, { dst: '10.250.8.0' }], routes: [{ dst: '10.250.4.0/22' }, { dst: '10.250.8.0/22' }],
    fdb: [{ mac: vtepMac('space-1', A.address), dst: A.address }, { mac: vtepMac('space-1', B.address), dst: B.address }],
  };
  const next = overlayPlan(now, overlay([A, C]));
  assert.equal(next.remake, false);
  assert.ok(!next.ip.some((l) => l.startsWith('link ')), 'the device is kept');
  assert.ok(next.ip.includes('route replace 10.250.12.0/22 via 10.250.12.0 dev slxunit0 onlink'), 'the new peer\'s slice is routed');
  assert.deepEqual(next.ip.filter((l) => / del /.test(l)), ['route del 10.250.8.0/22 dev slxunit0', 'neigh del 10.250.8.0 dev slxunit0'], 'only the peer that left is removed');
  assert.deepEqual(next.fdb.filter((a) => a[1] === 'del'), [['fdb', 'del', vtepMac('space-1', B.address), 'dev', 'slxunit0', 'dst', B.address, 'self']]);
  // A new local address (the host re-advertised) or VNI: made again.
  assert.equal(overlayPlan(now, overlay([A], '10.231.99.9')).remake, true);
});

test('on the kernel: a peer joining and another leaving keep the device (same ifindex) and leave exactly the peers\' entries', { timeout: 20_000 }, async (t) => {
  const why = await probeNetAdmin();
  if (why) { t.skip(why); return; }
  const show = (...a: string[]) => JSON.parse(execFileSync(a[0] === 'bridge' ? 'bridge' : 'ip', a.slice(1)).toString() || '[]') as Array<Record<string, unknown>>;
  execFileSync('ip', ['link', 'add', 'slxunitbr', 'type', 'bridge']);
  try {
    await makeOverlay(overlay([A, B]));
    const index = show('ip', '-j', 'link', 'show', 'dev', 'slxunit0')[0]!['ifindex'];
    await makeOverlay(overlay([A, C]));
    assert.equal(show('ip', '-j', 'link', 'show', 'dev', 'slxunit0')[0]!['ifindex'], index, 'the device was not made again');
    assert.deepEqual(show('ip', '-j', 'route', 'show', 'dev', 'slxunit0').map((r) => r['dst']).sort(), ['10.250.12.0/22', '10.250.4.0/22']);
    assert.deepEqual(show('ip', '-j', 'neigh', 'show', 'dev', 'slxunit0').map((r) => r['dst']).sort(), ['10.250.12.0', '10.250.4.0']);
    assert.deepEqual(show('bridge', '-j', 'fdb', 'show', 'dev', 'slxunit0').filter((f) => f['dst']).map((f) => `${String(f['mac'])} ${String(f['dst'])}`).sort(),
      [`${vtepMac('space-1', A.address)} ${A.address}`, `${vtepMac('space-1', C.address)} ${C.address}`].sort());
    await makeOverlay(overlay([C], '10.231.99.5'));
    assert.notEqual(show('ip', '-j', 'link', 'show', 'dev', 'slxunit0')[0]!['ifindex'], index, 'a new local address makes it again');
  } finally {
    await removeOverlay('slxunit0');
    execFileSync('ip', ['link', 'del', 'slxunitbr']);
  }
});
