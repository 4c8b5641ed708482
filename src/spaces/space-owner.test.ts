import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpaceNetworks } from './space-network.js';
import { planKey, type SpaceOwner, type SpacePlan } from './space-owner.js';

const log = { info: () => {}, warn: () => {}, error: () => {} };
const spec = { id: 'sp1', name: 'vault', cidr: '10.226.0.0/16', trustedIps: ['0.0.0.0/0'], egressRules: [] };

test('a dyno placed in a space never starts on another network because its host was not told of the app (nor the other way)', async () => {
  const n = new SpaceNetworks({ dataDir: '/nonexistent/slipway-unit', log });
  await n.setApps([{ id: 'a1', name: 'web', space_id: null }]);
  await assert.rejects(n.forApp('a1', 'dyno-1', { process: 'web', index: 1 }, 'sp1'), /has not been told yet that app a1 is in space sp1/);
  await n.setApps([{ id: 'a1', name: 'web', space_id: 'sp1' }]);
  await assert.rejects(n.forApp('a1', 'dyno-1', { process: 'web', index: 1 }, null), /has not been told yet that app a1 is in the common runtime/);
  assert.equal(await n.forApp('a2', 'dyno-2', undefined, null), undefined, 'a common-runtime app on the host network here (no default network up)');
});

test('with an owner elsewhere: the server keeps the specs, tells the owner each change once, and asks it for namespaces', async () => {
  const told: SpacePlan[] = [];
  const asked: string[] = [];
  const owner: SpaceOwner = {
    bridgePrefix: 'slwabcd',
    plan: async (p) => { told.push(p); },
    attach: async (spaceId, id) => { asked.push(`attach ${spaceId} ${id}`); return { netns: 'slipway-abcd-000001', address: '10.226.0.5' }; },
    release: async (id) => { asked.push(`release ${id}`); },
    zone: async () => [],
  };
  const n = new SpaceNetworks({ dataDir: '/nonexistent/slipway-unit', log });
  n.delegate(owner);
  await n.up(spec);
  assert.equal(told.length, 0, 'nothing before the owner runs');
  await n.ownerReady();
  assert.deepEqual(told.map((p) => [p.spaces.map((s) => s.id), p.fresh]), [[['sp1'], true]]);
  await n.setApps([{ id: 'a1', name: 'web', space_id: 'sp1' }]);
  await n.setApps([{ id: 'a1', name: 'web', space_id: 'sp1' }]);
  assert.equal(told.length, 2, 'an unchanged plan is not sent again');
  assert.deepEqual(told[1]!.apps, [{ id: 'a1', name: 'web', spaceId: 'sp1' }]);
  assert.equal(n.egressOf('sp1'), '10.226.255.254');
  assert.deepEqual(n.trustedFor('sp1'), ['0.0.0.0/0']);
  assert.equal(n.bridgePrefix, 'slwabcd');
  const net = await n.forSpace('sp1', 'node-1');
  assert.deepEqual([net.netns, net.address], ['slipway-abcd-000001', '10.226.0.5']);
  await net.release();
  await net.release();
  assert.deepEqual(asked, ['attach sp1 node-1', 'release node-1'], 'released once');
  await n.update({ ...spec, trustedIps: ['10.1.0.0/16'] });
  assert.deepEqual(told.at(-1)!.spaces[0]!.trustedIps, ['10.1.0.0/16']);
  await n.down('sp1');
  assert.deepEqual(told.at(-1)!.spaces, []);
  assert.equal(n.egressOf('sp1'), undefined);
});

test('a failed plan drops the new space from the server\'s specs (the API says why and keeps no half space)', async () => {
  const n = new SpaceNetworks({ dataDir: '/nonexistent/slipway-unit', log });
  n.delegate({ bridgePrefix: 'slwabcd', plan: async () => { throw new Error('no room'); }, attach: async () => ({ netns: '', address: '' }), release: async () => {}, zone: async () => [] });
  await n.ownerReady().catch(() => {});
  await assert.rejects(n.up(spec), /no room/);
  assert.equal(n.nameOf('sp1'), undefined);
});

test('plans compare equal whatever the order of their spaces and apps', () => {
  const a = { id: 'a', name: 'a', spaceId: 's' };
  const b = { id: 'b', name: 'b', spaceId: 's' };
  assert.equal(planKey({ spaces: [], apps: [a, b] }), planKey({ spaces: [], apps: [b, a], fresh: true }));
  assert.notEqual(planKey({ spaces: [], apps: [a] }), planKey({ spaces: [], apps: [a, b] }));
});

test('plans reach the owner one at a time, each made when sent: a slow older plan is never applied after a newer one', async () => {
  const applied: string[][] = [];
  let slowNext = false;
  const owner: SpaceOwner = {
    bridgePrefix: 'slwabcd',
    plan: async (p) => {
      // The owner applies each plan whole; the first one here takes longer (a loaded host).
      if (slowNext) { slowNext = false; await new Promise((r) => setTimeout(r, 100)); }
      applied.push(p.spaces.map((s) => s.id));
    },
    attach: async () => ({ netns: 'slipway-abcd-000001', address: '10.226.0.5' }),
    release: async () => {},
    zone: async () => [],
  };
  const n = new SpaceNetworks({ dataDir: '/nonexistent/slipway-unit', log });
  n.delegate(owner);
  await n.ownerReady();
  slowNext = true;
  // The server's app list refresh (every second) and a new space, at once.
  await Promise.all([n.setApps([{ id: 'a1', name: 'web', space_id: 'sp1' }]), n.up(spec)]);
  assert.deepEqual(applied.at(-1), ['sp1'], `the owner ended with the newest plan (applied in turn: ${JSON.stringify(applied)})`);
});
