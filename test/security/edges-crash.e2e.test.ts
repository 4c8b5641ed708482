// Attack (or accident): the server is SIGKILLed while a tenant's buildpack compiles or its release
// command runs (a tenant can make either take as long as it likes). After the restart nothing may
// stay `pending` forever, no workspace or process of the lost work may be left behind, and the app
// keeps serving the release it had.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { startServer, cli, api, gitPush, viaRouter, type TestServer } from '../helpers/server.js';
import { exampleRepo, commitAll } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { leftoverProcesses } from '../helpers/processes.js';

const A = 'crash-app';
let s: TestServer;
let dir: string;
interface ReleaseJson { id: string; version: number; status: string; current: boolean; message: string | null }
interface BuildJson { id: string; status: string; message: string | null }

const releases = async () => (await api<ReleaseJson[]>(s, 'GET', `/apps/${A}/releases`)).json;
const builds = async () => (await api<BuildJson[]>(s, 'GET', `/apps/${A}/builds`)).json;
const logOf = async (kind: 'builds' | 'releases', id: string) => (await api<{ html: string }>(s, 'GET', `/apps/${A}/${kind}/${id}/log`)).json.html ?? '';
/** Every folder named `name` under the server's possible work roots (in the data dir, or under /tmp for root). */
const workspaces = (name: string) => [path.join(s.dataDir, 'workspaces'), path.join(os.tmpdir(), `slipway-workspaces-${createHash('sha256').update(s.dataDir).digest('hex').slice(0, 12)}`)]
  .map((root) => path.join(root, name)).filter((p) => fs.existsSync(p));

/** A crash and a restart of the server as an operator's supervisor does it: the same data folder and ports (its router and local agent are adopted). */
async function killAndRestart(): Promise<void> {
  await s.kill();
  s = await startServer({ PORT: s.env['PORT']!, SLIPWAY_ROUTER_PORT: s.env['SLIPWAY_ROUTER_PORT']! }, s.dataDir);
}

before(async () => {
  s = await startServer();
  dir = exampleRepo('web-app', (d) => fs.writeFileSync(path.join(d, 'Procfile'),
    'web: node server.js\nrelease: if [ -n "$SLOW_RELEASE" ]; then echo release-sleeping; sleep 613; fi; node migrate.js\n'));
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  assert.equal((await cli(s, ['git:remote', '-a', A], { cwd: dir })).code, 0);
  const push = await gitPush(s, dir, ['slipway', 'main']);
  assert.equal(push.code, 0, push.output);
  await waitFor('the app to serve', async () => (await viaRouter(s, A)).status === 200, 60_000);
});
after(async () => { await s?.stop(); });

test('killed during the release phase: the release ends failed, its workspace is gone, the previous release keeps serving', { timeout: 180_000 }, async () => {
  const before = (await releases()).find((r) => r.current)!;
  assert.equal((await api(s, 'PATCH', `/apps/${A}/config-vars`, { SLOW_RELEASE: '1' })).status, 200);
  const slow = await waitFor('the new release', async () => (await releases()).find((r) => r.version > before.version));
  await waitFor('the release command to be sleeping', async () => (await logOf('releases', slow.id)).includes('release-sleeping'), 60_000);
  assert.equal(workspaces(`release-${slow.id}`).length, 1, 'the release phase has a workspace while it runs');
  await killAndRestart();
  const failed = await waitFor('the lost release to end', async () => { const r = (await releases()).find((x) => x.id === slow.id); return r && r.status !== 'pending' ? r : undefined; }, 30_000);
  assert.equal(failed.status, 'failed');
  assert.match(failed.message ?? '', new RegExp(`server stopped during the release phase of v${slow.version}.*current release keeps running`));
  assert.equal((await releases()).find((r) => r.current)?.version, before.version, 'the previous release is still current');
  assert.deepEqual(workspaces(`release-${slow.id}`), [], 'no workspace left behind');
  assert.deepEqual(await leftoverProcesses([`release-${slow.id}`]), []);
  const served = await waitFor('the app to serve again', async () => { const r = await viaRouter(s, A); return r.status === 200 ? r : undefined; }, 60_000);
  assert.match(served.body, /running code one/);
  assert.match(await logOf('releases', slow.id), /release-sleeping[\s\S]*server stopped during the release phase/, 'the output before the stop is kept');
  assert.equal((await api(s, 'PATCH', `/apps/${A}/config-vars`, { SLOW_RELEASE: null })).status, 200);
});

test('killed during a buildpack\'s compile: the build ends failed, its workspace is gone, nothing is released', { timeout: 240_000 }, async () => {
  await waitFor('the unset release to settle', async () => (await releases()).every((r) => r.status !== 'pending'), 60_000);
  const current = (await releases()).find((r) => r.current)!;
  const bp = path.join(dir, 'slow-buildpack', 'bin');
  fs.mkdirSync(bp, { recursive: true });
  fs.writeFileSync(path.join(bp, 'detect'), '#!/bin/sh\necho Slow\n', { mode: 0o755 });
  fs.writeFileSync(path.join(bp, 'compile'), '#!/bin/sh\necho build-sleeping\nsleep 617\n', { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ name: 'crash-app', buildpacks: [{ url: './slow-buildpack' }] }));
  commitAll(dir, 'a buildpack that never finishes');
  assert.equal((await cli(s, ['git:remote', '-a', A], { cwd: dir })).code, 0, 'the remote points at the restarted server');
  const pushing = gitPush(s, dir, ['slipway', 'main']);
  const build = await waitFor('the build to be compiling', async () => {
    const b = (await builds()).find((x) => x.status === 'pending');
    return b && (await logOf('builds', b.id)).includes('build-sleeping') ? b : undefined;
  }, 120_000);
  assert.equal(workspaces(`build-${build.id}`).length, 1, 'the build has a workspace while it runs');
  await killAndRestart();
  await pushing; // the push ends when its server goes away
  const failed = await waitFor('the lost build to end', async () => { const b = (await builds()).find((x) => x.id === build.id); return b && b.status !== 'pending' ? b : undefined; }, 30_000);
  assert.equal(failed.status, 'failed');
  assert.match(failed.message ?? '', /server stopped during this build/);
  assert.deepEqual(workspaces(`build-${build.id}`), [], 'no workspace left behind');
  assert.deepEqual(await leftoverProcesses([`build-${build.id}`]), []);
  assert.equal((await releases()).find((r) => r.current)?.version, current.version, 'nothing was released');
  assert.equal((await viaRouter(s, A)).status, 200);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('a build or release left pending with no job (the server stopped between the two writes) ends failed when the next start leads', { timeout: 120_000 }, async () => {
  await s.stop();
  const db = new Database(path.join(s.dataDir, 'slipway.db'));
  const old = new Date(Date.now() - 5 * 60_000).toISOString();
  const appId = (db.prepare('SELECT id FROM apps WHERE name = ?').get(A) as { id: string }).id;
  const buildId = randomUUID();
  db.prepare("INSERT INTO builds (id, app_id, status, source_blob_url, created_at, updated_at) VALUES (?, ?, 'pending', 'http://x/none', ?, ?)").run(buildId, appId, old, old);
  const release = db.prepare('SELECT * FROM releases WHERE app_id = ? AND current = 1').get(appId) as Record<string, unknown>;
  const releaseId = randomUUID();
  const version = Number(db.prepare('SELECT MAX(version) AS v FROM releases WHERE app_id = ?').pluck().get(appId)) + 1;
  db.prepare(`INSERT INTO releases (${Object.keys(release).join(', ')}) VALUES (${Object.keys(release).map(() => '?').join(', ')})`)
    .run(...Object.keys(release).map((k) => ({ id: releaseId, version, status: 'pending', current: 0, created_at: old, updated_at: old } as Record<string, unknown>)[k] ?? release[k]));
  db.close();
  s = await startServer({}, s.dataDir);
  // The leader (this one server) ends stranded work as it leads.
  const b = await waitFor('the stranded build to end', async () => { const x = (await builds()).find((y) => y.id === buildId)!; return x.status !== 'pending' ? x : undefined; }, 30_000);
  assert.equal(b.status, 'failed');
  assert.match(b.message ?? '', /server stopped during this build/);
  const r = await waitFor('the stranded release to end', async () => { const x = (await releases()).find((y) => y.id === releaseId)!; return x.status !== 'pending' ? x : undefined; }, 30_000);
  assert.equal(r.status, 'failed');
  assert.match(r.message ?? '', new RegExp(`server stopped during the release phase of v${version}`));
  assert.notEqual((await releases()).find((x) => x.current)?.id, releaseId);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});
