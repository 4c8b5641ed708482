import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HttpDesiredState } from './http-desired-state.js';
import type { DesiredDynosResponse, ObservedReport } from './protocol.js';
import type { DesiredDyno } from '../runtime/desired-state.js';

const dyno = (id: string) => ({ id, appId: 'a', releaseId: 'r', version: 1, slugId: 's', type: 'web', name: 'web.1', command: 'x', env: {}, size: 'standard-1x', space: null, generation: 1 }) satisfies DesiredDyno;

test('the desired set is kept with its ETag: an unchanged set costs a 304, a change is seen once', async () => {
  const sent: Array<string | undefined> = [];
  let current: DesiredDynosResponse = { etag: '"1"', dynos: [dyno('d1')] };
  const port = new HttpDesiredState({
    desiredDynos: async (etag) => { sent.push(etag); return etag === current.etag ? undefined : current; },
    reportDynos: async () => ({ ok: true, ignored: [] }),
  });
  assert.deepEqual((await port.desired('self')).map((d) => d.id), ['d1']);
  assert.deepEqual((await port.desired('self')).map((d) => d.id), ['d1'], 'a 304 keeps the last set');
  assert.equal(await port.watch(10), false);
  current = { etag: '"2"', dynos: [dyno('d2')] };
  assert.equal(await port.watch(10), true);
  assert.deepEqual((await port.desired('self')).map((d) => d.id), ['d2']);
  assert.deepEqual(sent, [undefined, '"1"', '"1"', '"1"', '"2"']);
});

test('`reported` says whether the last report reached the server', async () => {
  let fail = true;
  const got: ObservedReport[] = [];
  const port = new HttpDesiredState({
    desiredDynos: async () => undefined,
    reportDynos: async (r) => { if (fail) throw new Error('server away'); got.push(r); return { ok: true, ignored: [] }; },
  });
  await assert.rejects(port.report('self', []));
  assert.equal(port.reported, false);
  fail = false;
  await port.report('self', []);
  assert.equal(port.reported, true);
  assert.equal(got.length, 1);
});
