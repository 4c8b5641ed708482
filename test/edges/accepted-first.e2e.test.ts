// 202 Accepted answers before the work (issue "The flow's edges happen exactly once", item 5): a
// restart stores the new desired dynos and answers; the agent starts them afterwards. With web
// dynos that take 5 s to listen, the answer comes while the new dyno is still starting, and the
// old one keeps serving meanwhile (the swap is still zero-downtime).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, viaRouter } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';

interface DynoJson { name: string; type: string; state: string; created_at: string }

test('ps:restart answers 202 while the new dyno is still starting; the old one serves until it is up', { timeout: 180_000 }, async () => {
  const s = await startServer({ SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  const A = 'edges-accepted';
  const dir = exampleRepo('web-app', (d) => fs.writeFileSync(path.join(d, 'Procfile'), 'web: sleep 5 && node server.js\n'));
  try {
    assert.equal((await cli(s, ['apps:create', A])).code, 0);
    const b = await cli(s, ['builds:create', '-a', A], { cwd: dir });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const dynos = async () => (await api<DynoJson[]>(s, 'GET', `/apps/${A}/dynos`)).json;
    await waitFor('web.1 up', async () => (await dynos()).some((d) => d.name === 'web.1' && d.state === 'up'), 60_000);
    const before = (await dynos()).find((d) => d.name === 'web.1')!;
    const started = Date.now();
    const restart = await api(s, 'DELETE', `/apps/${A}/dynos`);
    const answeredMs = Date.now() - started;
    assert.equal(restart.status, 202);
    const after = await dynos();
    assert.ok(after.some((d) => d.state === 'starting'), `answered (${answeredMs} ms) before the new dyno was up: ${JSON.stringify(after)}`);
    assert.equal((await viaRouter(s, A)).status, 200, 'the old dyno serves while the new one starts');
    await waitFor('the new web.1 up', async () => (await dynos()).some((d) => d.name === 'web.1' && d.state === 'up' && d.created_at !== before.created_at), 60_000);
    assert.equal((await viaRouter(s, A)).status, 200);
  } finally {
    await s.stop();
  }
});
