// Attack: a host unpacks each slug once into a read-only tree that the release phase and the dynos
// overlay (runtime/slug-trees.ts). A hostile slug carries links out of it (absolute, `..`, to a
// root-only secret), a hard link, and member names with `..` or an absolute path; a release phase
// writes into its app folder, through the links, and into the tree's own path as its mount table
// names it. Nothing may land outside the tree, the tree must not change (the dyno after the
// release phase sees the slug as built), and no secret may be read through a link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, viaRouter, type TestServer } from '../helpers/server.js';
import { commitAll, git } from '../helpers/apps.js';
import { rootSecret, leaked, type RootSecret } from '../helpers/hostile.js';
import { tempDir } from '../helpers/temp.js';
import { createSandbox } from '../../src/sandbox/sandbox.js';
import { forTenant } from '../../src/sandbox/tenant-sandbox.js';
import { createWorkspace, removeWorkspace } from '../../src/ci/workspace.js';
import { SlugTrees } from '../../src/runtime/slug-trees.js';
import { mountsUnder } from '../../src/sandbox/mount-table.js';

let s: TestServer;
let secret: RootSecret;
/** Where a write through a link would land on the host (world-writable, so only the sandbox's binds stop it). */
let outside: string;
before(async () => {
  [s, secret, outside] = [await startServer(), rootSecret(), tempDir('slipway-slug-outside-', '/var/tmp')];
  fs.chmodSync(outside, 0o777);
});
after(async () => { await s.stop(); });

test('a hostile slug\'s links, hard link and release phase change neither the host nor the tree the web dyno starts from', { timeout: 300_000 }, async () => {
  const dir = tempDir('slipway-slug-attack-');
  fs.mkdirSync(path.join(dir, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bp/bin/compile'), `#!/bin/sh
build="$1"
echo "from the slug" > "$build/marker.txt"
ln "$build/marker.txt" "$build/hard"
ln -s ${secret.file} "$build/leak-file"
ln -s ${secret.open} "$build/leak-dir"
ln -s ../../../../../../../../${outside.slice(1)} "$build/up"
ln -s ${outside} "$build/out"
ln -s / "$build/root"
exit 0
`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ buildpacks: [{ url: './bp' }] }));
  fs.writeFileSync(path.join(dir, 'Procfile'), 'release: sh release.sh\nweb: node server.js\n');
  fs.writeFileSync(path.join(dir, 'release.sh'), `
echo "changed by the release phase" > marker.txt
echo "appended by the release phase" >> hard
echo planted > out/planted-abs 2>&1
echo planted > up/planted-rel 2>&1
echo planted > root${outside}/planted-root 2>&1
lower=$(grep -o 'lowerdir=[^,]*' /proc/self/mountinfo | head -1 | cut -d= -f2)
echo "tree: $lower"
echo "attack" > "$lower/marker.txt" 2>&1
cat leak-file leak-dir/open-secret.txt 2>&1
exit 0
`);
  fs.writeFileSync(path.join(dir, 'server.js'), `
const fs = require('fs');
const read = (f) => { try { return fs.readFileSync(f, 'utf8').trim(); } catch (e) { return e.code; } };
require('http').createServer((q, r) => r.end(JSON.stringify({ marker: read('marker.txt'), hard: read('hard'), leak: read('leak-file'), open: read('leak-dir/open-secret.txt') }))).listen(process.env.PORT);
`);
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'hostile slug');
  assert.equal((await cli(s, ['apps:create', 'slug-attack'])).code, 0);
  const b = await cli(s, ['builds:create', '-a', 'slug-attack'], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const releases = await api<Array<{ version: number; output_stream_url: string }>>(s, 'GET', '/apps/slug-attack/releases');
  const last = releases.json.sort((x, y) => y.version - x.version)[0]!;
  const output = await (await fetch(last.output_stream_url)).text();
  assert.match(output, /tree: \//, 'the release phase ran its attack');
  let seen = { status: 0, body: '' };
  for (let i = 0; i < 200 && seen.status !== 200; i++) {
    seen = await viaRouter(s, 'slug-attack').catch(() => ({ status: 0, body: '' }));
    if (seen.status !== 200) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(seen.status, 200, seen.body);
  const body = JSON.parse(seen.body) as Record<string, string>;
  // The release phase's writes were its own: the web dyno starts from the slug as built.
  assert.equal(body['marker'], 'from the slug', seen.body);
  assert.equal(body['hard'], 'from the slug', seen.body);
  assert.deepEqual(leaked(seen.body + output, secret), [], seen.body + output);
  // Nothing landed on the host through a link.
  assert.deepEqual(fs.readdirSync(outside), []);
  // The tree itself is unchanged, read-only, and only its tenant's.
  const treesDir = path.join(s.dataDir, 'slug-trees');
  const trees = fs.readdirSync(treesDir).filter((n) => /^t-/.test(n));
  assert.ok(trees.length >= 1, `a slug tree in ${treesDir}`);
  for (const t of trees) {
    const tree = path.join(treesDir, t);
    assert.equal(fs.readFileSync(path.join(tree, 'marker.txt'), 'utf8'), 'from the slug\n');
    assert.equal(fs.lstatSync(path.join(tree, 'leak-file')).isSymbolicLink(), true);
    assert.equal(fs.statSync(tree).mode & 0o777, 0o700);
    assert.notEqual(fs.statSync(tree).uid, 0);
    assert.throws(() => fs.writeFileSync(path.join(tree, 'by-root'), 'x'), /EROFS/);
  }
});

test('a crafted slug with `..` and absolute member names, a link then a file through it, and a hard link to a host file stays inside its tree', { timeout: 120_000 }, async () => {
  const work = tempDir('slipway-slug-craft-', '/var/tmp');
  fs.chmodSync(work, 0o711);
  const treesRoot = path.join(work, 'trees');
  const workRoot = path.join(work, 'ws');
  fs.mkdirSync(workRoot, { mode: 0o711 });
  const slugDir = path.join(work, 'slugs');
  fs.mkdirSync(slugDir, { mode: 0o755 });
  const slug = path.join(slugDir, 'crafted.tgz');
  // Python's tarfile writes any member name and link target it is given.
  execFileSync('python3', ['-c', `
import io, tarfile, sys
t = tarfile.open(sys.argv[1], 'w:gz')
def add(name, data=b'x', **kw):
    i = tarfile.TarInfo(name)
    for k, v in kw.items(): setattr(i, k, v)
    i.size = len(data) if i.type == tarfile.REGTYPE else 0
    t.addfile(i, io.BytesIO(data) if i.type == tarfile.REGTYPE else None)
add('./app.txt', b'app\\n')
add('../escape-rel', b'escaped\\n')
add(sys.argv[2] + '/escape-abs', b'escaped\\n')
add('./link', type=tarfile.SYMTYPE, linkname=sys.argv[2])
add('./link/through-link', b'escaped\\n')
add('./dots', type=tarfile.SYMTYPE, linkname='../../../../../../..' + sys.argv[2])
add('./dots/through-dots', b'escaped\\n')
add('./hard', type=tarfile.LNKTYPE, linkname=sys.argv[3])
t.close()
`, slug, outside, secret.file]);
  const sandbox = forTenant(createSandbox({ mode: 'auto', userName: 'nobody', hidden: [treesRoot, workRoot], graceMs: 1000 }), { uid: 299_991, gid: 299_991 });
  const trees = new SlugTrees(treesRoot, 64);
  const ws = await createWorkspace(sandbox, workRoot, 'dyno-crafted', 64);
  const links = fs.statSync(secret.file).nlink;
  try {
    await trees.mountApp(sandbox, ws, { id: 'crafted', file: async () => slug }, 'dyno-crafted').catch(() => {}); // tar may refuse members: the unpack fails, or leaves them out
    assert.deepEqual(fs.readdirSync(outside), [], 'nothing written outside the tree');
    assert.equal(fs.existsSync(path.join(work, 'escape-rel')), false);
    assert.equal(fs.statSync(secret.file).nlink, links, 'no hard link to the host file');
    if (trees.has('crafted', 299_991)) {
      const tree = path.join(treesRoot, fs.readlinkSync(path.join(treesRoot, 'crafted-299991')));
      assert.throws(() => fs.writeFileSync(path.join(tree, 'by-root'), 'x'), /EROFS/);
      assert.equal(fs.readFileSync(path.join(ws.app, 'app.txt'), 'utf8'), 'app\n');
    }
  } finally {
    await removeWorkspace(workRoot, 'dyno-crafted');
    await trees.prune({ all: true });
    assert.deepEqual(mountsUnder(work), [], 'no mount left');
    fs.rmSync(work, { recursive: true, force: true });
  }
});
