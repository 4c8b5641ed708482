import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Sandbox } from '../sandbox/sandbox.js';
import type { Workspace } from '../ci/workspace.js';
import { mountsUnder } from '../sandbox/mount-table.js';
import { openBuildCache, overlayPath, purgeBuildCache, shownOption } from './build-cache.js';

const root = process.getuid?.() === 0;
// Only ownedDir and user are used; the folders stay root's (or this user's).
const sandbox = {
  mode: 'process', user: { name: 'self', uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 },
  ownedDir: (d: string) => { fs.mkdirSync(d, { recursive: true, mode: 0o700 }); },
} as unknown as Sandbox;

let n = 0;
function workspace(base: string): Workspace {
  const r = path.join(base, `ws-${++n}`);
  const ws = { root: r, app: path.join(r, 'app'), cache: path.join(r, 'cache'), env: path.join(r, 'env'), buildpacks: path.join(r, 'buildpacks'), tmp: path.join(r, 'tmp') };
  for (const d of Object.values(ws)) fs.mkdirSync(d, { recursive: true });
  return ws;
}
const versions = (appDir: string) => fs.readdirSync(appDir).filter((x) => x.startsWith('v-'));

for (const [overlay, odd] of [[false, false], [true, false], [true, true]]) {
  test(`${overlay ? 'overlay' : 'copy'}${odd ? ' in a data folder whose path holds a comma, a colon and a space' : ''}: restored, unchanged not saved, changed saved as the one version, failed builds leave it`, { skip: overlay && !root && 'overlayfs needs root' }, async () => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), odd ? 'build,cache: ' : 'build-cache-'));
    const cacheRoot = path.join(base, 'build-cache');
    const appDir = path.join(cacheRoot, 'app1');
    const MB = 1024 * 1024;

    const ws1 = workspace(base);
    const c1 = await openBuildCache(sandbox, cacheRoot, 'app1', ws1, { overlay });
    assert.equal(c1.restored, false);
    assert.equal(c1.kind, overlay ? 'overlay' : 'copy');
    fs.mkdirSync(path.join(ws1.cache, 'nodejs'));
    fs.writeFileSync(path.join(ws1.cache, 'nodejs', 'key'), 'one');
    assert.equal(await c1.save(100 * MB), 'saved');
    await c1.close();
    assert.deepEqual(mountsUnder(ws1.root).filter((m) => m !== ws1.root), [], 'unmounted');
    assert.equal(fs.readlinkSync(path.join(appDir, 'current')), versions(appDir)[0]);

    const ws2 = workspace(base);
    const c2 = await openBuildCache(sandbox, cacheRoot, 'app1', ws2, { overlay });
    assert.equal(c2.restored, true);
    assert.equal(fs.readFileSync(path.join(ws2.cache, 'nodejs', 'key'), 'utf8'), 'one');
    fs.writeFileSync(path.join(ws2.cache, 'nodejs', 'tmp'), 'x');
    fs.rmSync(path.join(ws2.cache, 'nodejs', 'tmp'));
    assert.equal(await c2.save(100 * MB), 'unchanged', 'a file that came and went is no change');
    await c2.close();

    // A failed build: nothing saved; its writes are gone with its workspace.
    const ws3 = workspace(base);
    const c3 = await openBuildCache(sandbox, cacheRoot, 'app1', ws3, { overlay });
    fs.writeFileSync(path.join(ws3.cache, 'nodejs', 'key'), 'poison');
    fs.rmSync(path.join(ws3.cache, 'nodejs'), { recursive: true });
    await c3.close();

    const ws4 = workspace(base);
    const c4 = await openBuildCache(sandbox, cacheRoot, 'app1', ws4, { overlay });
    assert.equal(fs.readFileSync(path.join(ws4.cache, 'nodejs', 'key'), 'utf8'), 'one');
    fs.writeFileSync(path.join(ws4.cache, 'nodejs', 'key'), 'two');
    assert.equal(await c4.save(1), 'too-large');
    assert.equal(await c4.save(100 * MB), 'saved');
    await c4.close();
    assert.equal(versions(appDir).length, 1, 'the earlier version is removed');

    const ws5 = workspace(base);
    const c5 = await openBuildCache(sandbox, cacheRoot, 'app1', ws5, { overlay });
    assert.equal(fs.readFileSync(path.join(ws5.cache, 'nodejs', 'key'), 'utf8'), 'two');
    await c5.close();

    purgeBuildCache(cacheRoot, 'app1');
    const ws6 = workspace(base);
    const c6 = await openBuildCache(sandbox, cacheRoot, 'app1', ws6, { overlay });
    assert.equal(c6.restored, false);
    assert.deepEqual(fs.readdirSync(ws6.cache), []);
    await c6.close();
    assert.deepEqual(versions(appDir), []);
    fs.rmSync(base, { recursive: true, force: true });
  });
}

test('a cache saved before versions (the app folder was the cache) becomes the first version', async () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'build-cache-legacy-'));
  const cacheRoot = path.join(base, 'build-cache');
  fs.mkdirSync(path.join(cacheRoot, 'app1', 'nodejs'), { recursive: true });
  fs.writeFileSync(path.join(cacheRoot, 'app1', 'nodejs', 'key'), 'old');
  const ws = workspace(base);
  const c = await openBuildCache(sandbox, cacheRoot, 'app1', ws);
  assert.equal(c.restored, true);
  assert.equal(fs.readFileSync(path.join(ws.cache, 'nodejs', 'key'), 'utf8'), 'old');
  await c.close();
  assert.equal(versions(path.join(cacheRoot, 'app1')).length, 1);
  fs.rmSync(base, { recursive: true, force: true });
});

test('a path in overlayfs\'s options, and as mountinfo shows it (the form this kernel printed for /tmp/ov,te:st)', () => {
  assert.equal(overlayPath('/tmp/ov,te:st/lo'), '/tmp/ov\\,te\\:st/lo');
  assert.equal(shownOption(overlayPath('/tmp/ov,te:st/lo')), '/tmp/ov\\134\\054te\\134:st/lo');
  assert.equal(shownOption('/plain/path'), '/plain/path');
});
