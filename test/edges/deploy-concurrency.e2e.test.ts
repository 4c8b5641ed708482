// Deploys of one app are serialised in the store (issue "The flow's edges happen exactly once",
// item 5): two deploys and a scale change at once end with exactly the desired dynos of the current
// release, and no dyno process of an older release or an old scale left running (/proc, as `ps -ef` sees it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, api } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { findMarkedProcesses } from '../../src/sandbox/process-tree.js';

interface ReleaseJson { version: number; status: string; current: boolean }
interface DynoJson { name: string; type: string; state: string; release: { version: number } }

test('two deploys and a scale change at once: exactly the desired dynos, of the current release, nothing orphaned', { timeout: 300_000 }, async () => {
  const s = await startServer({ SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
  const A = 'edges-race';
  const dir = exampleRepo('web-app');
  try {
    const run = (args: string[]) => cli(s, [...args, '-a', A], { cwd: dir });
    assert.equal((await cli(s, ['apps:create', A])).code, 0);
    const first = await run(['builds:create']);
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const { json: app } = await api<{ id: string }>(s, 'GET', `/apps/${A}`);
    const mine = (m: string) => m.startsWith(`dyno-${app.id.slice(0, 8)}-`);
    const markers = () => { const seen = new Set<string>(); findMarkedProcesses((m) => { if (mine(m)) seen.add(m); return false; }); return [...seen]; };

    const [a, b, scale] = await Promise.all([run(['builds:create']), run(['builds:create']), run(['ps:scale', 'web=3'])]);
    for (const r of [a, b, scale]) assert.equal(r.code, 0, r.stdout + r.stderr);
    const releases = async () => (await api<ReleaseJson[]>(s, 'GET', `/apps/${A}/releases`)).json;
    await waitFor('every release to settle', async () => (await releases()).every((r) => r.status !== 'pending'), 120_000);
    const current = (await releases()).find((r) => r.current)!;
    const dynos = async () => (await api<DynoJson[]>(s, 'GET', `/apps/${A}/dynos`)).json;
    await waitFor('three web dynos of the current release, up, and no others', async () => {
      const d = await dynos();
      return d.length === 3 && d.every((x) => x.type === 'web' && x.state === 'up' && x.release.version === current.version);
    }, 120_000).catch(async (e: Error) => { throw new Error(`${e.message}: ${JSON.stringify(await dynos())}`); });
    await waitFor('exactly three dyno process groups', async () => markers().length === 3, 30_000)
      .catch((e: Error) => { throw new Error(`${e.message}: ${markers().join(', ')}`); });
    assert.deepEqual((await dynos()).map((d) => d.name).sort(), ['web.1', 'web.2', 'web.3']);
    // Still so a moment later: nothing restarts or lingers.
    await new Promise((r) => setTimeout(r, 2000));
    assert.equal(markers().length, 3);
  } finally {
    await s.stop();
  }
});
