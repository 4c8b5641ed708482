// Tenant uids as the server hands them out: many apps deployed at once (a promotion to a whole stage)
// each get a uid of their own, none refused for contention.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from './store/db.js';
import { Tenants } from './tenants.js';

test('Tenants: 60 apps asking at once each get their own uid', { timeout: 60_000, skip: process.getuid?.() !== 0 && 'tenant uids need root' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-tenants-'));
  const store = await openStore({ dataDir: dir });
  try {
    const tenants = new Tenants(store.db, { first: 300_000, last: 300_999 }, 65534);
    const apps = Array.from({ length: 60 }, (_, i) => `app-${i}`);
    const got = await Promise.all(apps.map((a) => tenants.forApp(a)));
    const uids = got.map((t) => t!.uid);
    assert.equal(new Set(uids).size, apps.length);
    assert.ok(uids.every((u) => u >= 300_000 && u <= 300_999));
    // Asked again (a restart, a second dyno): the same uids.
    assert.deepEqual((await Promise.all(apps.map((a) => tenants.forApp(a)))).map((t) => t!.uid), uids);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
