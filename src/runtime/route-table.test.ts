import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RouteTable } from './route-table.js';

const dyno = (name: string) => ({ id: name, host: '127.0.0.1', port: 5000, name });

test('the table serves what was read; an unreadable store leaves the last table serving, warned once', async () => {
  let fail = false;
  const warnings: string[] = [];
  const t = new RouteTable(async () => { if (fail) throw new Error('database is locked'); return new Map([['app', [dyno('web.1')]]]); }, (l) => warnings.push(l));
  assert.deepEqual(t.targets('app'), []);
  await t.refresh();
  assert.deepEqual(t.targets('app'), [dyno('web.1')]);
  fail = true;
  await t.refresh();
  await t.refresh();
  assert.deepEqual(t.targets('app'), [dyno('web.1')]);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /database is locked.*keeps its last table/);
});

test('an older read that ends after a newer one does not replace it', async () => {
  const reads: Array<(m: Map<string, ReturnType<typeof dyno>[]>) => void> = [];
  const t = new RouteTable(() => new Promise((r) => reads.push(r)), () => {});
  const older = t.refresh();
  const newer = t.refresh();
  reads[1]!(new Map([['app', [dyno('web.2')]]]));
  await newer;
  reads[0]!(new Map([['app', [dyno('web.1')]]]));
  await older;
  assert.deepEqual(t.targets('app'), [dyno('web.2')]);
});
