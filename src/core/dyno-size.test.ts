import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DYNO_SIZES, dynoSize, limitsFor, lookupDynoSize } from './dyno-size.js';

test("Heroku's memory quotas and process limits per size", () => {
  const table = Object.fromEntries(DYNO_SIZES.map((s) => [s.name, [s.quotaMb, s.pids]]));
  assert.deepEqual(table, {
    eco: [512, 256], basic: [512, 256], 'standard-1x': [512, 256], 'standard-2x': [1024, 512],
    'performance-m': [2560, 16384], 'performance-l': [14336, 32768],
  });
});

test('the kernel limit is twice the quota (R15), CPU shares grow with the size, disk fits a slug', () => {
  assert.deepEqual(limitsFor(dynoSize('standard-1x')), { memoryMb: 1024, pids: 256, cpuShares: 1024, diskMb: 2048 });
  assert.deepEqual(limitsFor(dynoSize('standard-2x')), { memoryMb: 2048, pids: 512, cpuShares: 2048, diskMb: 2048 });
  assert.equal(dynoSize('performance-m').cpuShares, 12 * 1024);
});

test('sizes are looked up as Heroku does: any case, legacy names', () => {
  for (const [given, name] of [['Standard-2X', 'standard-2x'], ['2X', 'standard-2x'], ['hobby', 'basic'], [' performance-m ', 'performance-m']] as const) {
    const r = lookupDynoSize(given);
    assert.ok(r.ok, given);
    assert.equal(r.ok && r.size.name, name);
  }
});

test('an unknown size is an error listing the valid ones', () => {
  const r = lookupDynoSize('huge');
  assert.equal(r.ok, false);
  assert.match(!r.ok ? r.message : '', /"huge" is not a dyno size\. Valid sizes: eco, basic, standard-1x, standard-2x, performance-m, performance-l\./);
});

test('a stored size that is no longer valid runs as the default', () => {
  assert.equal(dynoSize('bogus').name, 'standard-1x');
  assert.equal(dynoSize(undefined).name, 'standard-1x');
});
