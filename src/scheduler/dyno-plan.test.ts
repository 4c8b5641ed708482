import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planAppDynos, type DesiredRow } from './dyno-plan.js';

const release = { id: 'r2', processTypes: { web: 'node server.js', worker: 'node worker.js', release: 'node migrate.js' } };
const row = (name: string, over: Partial<DesiredRow> = {}): DesiredRow => ({
  id: `id-${name}`, release_id: 'r2', process_type: name.split('.')[0]!, name, size: 'standard-1x', command: name.startsWith('web') ? 'node server.js' : 'node worker.js', agent_id: 'a', generation: 1, ...over,
});
const usable = new Set(['a', 'b']);
const web = (quantity: number, size = 'standard-1x') => ({ type: 'web', quantity, size });

test('first deploy: one new row per slot, generation 1; the release phase is never a dyno', () => {
  const p = planAppDynos({ release, formation: [web(2), { type: 'release', quantity: 1, size: 'standard-1x' }], existing: [], usable });
  assert.deepEqual(p.create.map((c) => [c.name, c.generation, c.prefer]), [['web.1', 1, null], ['web.2', 1, null]]);
  assert.deepEqual(p.keep, []);
});

test('scale up keeps web.1 as it is; scale down removes the surplus only', () => {
  const up = planAppDynos({ release, formation: [web(2)], existing: [row('web.1')], usable });
  assert.deepEqual(up.keep.map((r) => r.id), ['id-web.1']);
  assert.deepEqual(up.create.map((c) => c.name), ['web.2']);
  const down = planAppDynos({ release, formation: [web(1)], existing: [row('web.1'), row('web.2')], usable });
  assert.deepEqual(down.remove, ['id-web.2']);
  assert.deepEqual(down.create, []);
});

test('a new release replaces every row with the next generation, preferring the same agent', () => {
  const p = planAppDynos({ release, formation: [web(1)], existing: [row('web.1', { release_id: 'r1', generation: 4, agent_id: 'b' })], usable });
  assert.deepEqual(p.create.map((c) => [c.name, c.generation, c.prefer]), [['web.1', 5, 'b']]);
  assert.deepEqual(p.remove, ['id-web.1']);
});

test('a size change, a restart of one dyno, and a lost agent each replace only the rows concerned', () => {
  const existing = [row('web.1'), row('web.2', { agent_id: 'gone' }), row('worker.1')];
  const formation = [web(2), { type: 'worker', quantity: 1, size: 'standard-1x' }];
  assert.deepEqual(planAppDynos({ release, formation, existing, usable }).create.map((c) => c.name), ['web.2'], 'the lost agent\'s dyno only');
  assert.deepEqual(planAppDynos({ release, formation, existing, usable, restart: 'worker.1' }).create.map((c) => c.name), ['web.2', 'worker.1']);
  assert.deepEqual(planAppDynos({ release, formation, existing, usable: new Set(['a', 'gone']), restart: 'web' }).create.map((c) => c.name), ['web.1', 'web.2']);
  assert.deepEqual(planAppDynos({ release, formation, existing, usable: new Set(['a', 'gone']), restart: '' }).keep, []);
  const sized = planAppDynos({ release, formation: [web(2, 'standard-2x')], existing: [row('web.1'), row('web.2')], usable });
  assert.deepEqual(sized.create.map((c) => [c.name, c.size]), [['web.1', 'standard-2x'], ['web.2', 'standard-2x']]);
});

test('no release with code, or a process type the slug lacks: no dynos', () => {
  assert.deepEqual(planAppDynos({ release: null, formation: [web(1)], existing: [row('web.1')], usable }), { keep: [], create: [], remove: ['id-web.1'] });
  assert.deepEqual(planAppDynos({ release, formation: [{ type: 'clock', quantity: 1, size: 'standard-1x' }], existing: [], usable }).create, []);
});
