// The uid allocator: next free uid of the range, stable per owner, freed and reused, never outside the range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from './db.js';
import { freeTenantUid, nextFreeUid, tenantUid } from './tenant-ids.js';
import { SlipwayError } from '../core/errors.js';

test('nextFreeUid: after the highest in use, then the lowest gap, then none', () => {
  const r = { first: 100, last: 103 };
  assert.equal(nextFreeUid([], r), 100);
  assert.equal(nextFreeUid([100, 101], r), 102);
  assert.equal(nextFreeUid([101], r), 102);
  assert.equal(nextFreeUid([100, 101, 103], r), 102);
  assert.equal(nextFreeUid([101, 102, 103], r), 100);
  assert.equal(nextFreeUid([100, 101, 102, 103], r), undefined);
});

test('tenantUid: one uid per owner, kept across calls (and restarts), freed for others', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-uids-'));
  const range = { first: 200_000, last: 200_002 };
  let store = await openStore({ dataDir: dir });
  try {
    const a = await tenantUid(store.db, 'app:a', range);
    const b = await tenantUid(store.db, 'run:b', range);
    assert.deepEqual([a, b], [200_000, 200_001]);
    assert.equal(await tenantUid(store.db, 'app:a', range), a);
    await store.close();
    store = await openStore({ dataDir: dir });
    assert.equal(await tenantUid(store.db, 'app:a', range), a, 'the same uid after a restart');
    assert.equal(await tenantUid(store.db, 'addons:app:a', range), 200_002);
    const d = await tenantUid(store.db, 'app:d', range).catch((e: Error) => e);
    assert.ok(d instanceof SlipwayError && d.id === 'tenant_uids_exhausted', 'the fourth owner finds the range full');
    await freeTenantUid(store.db, 'app:a');
    assert.equal(await tenantUid(store.db, 'run:next', range), 200_000);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
