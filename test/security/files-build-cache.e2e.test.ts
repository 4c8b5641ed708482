// Attack: a build writes links into its CACHE_DIR (to a root-only file, and to a world-readable
// folder inside a root-only one), or moves the root-only folder that holds the cache overlay's
// upper layer and puts a link to a host folder in its place. Root saves the cache after the build:
// it must copy links as links (never what they point at) and read nothing through the swapped
// link, so the next build of the app finds no secret and nothing the swap tried to slip in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, type TestServer } from '../helpers/server.js';
import { commitAll, git } from '../helpers/apps.js';
import { rootSecret, leaked, type RootSecret } from '../helpers/hostile.js';
import fs from 'node:fs';
import path from 'node:path';
import { tempDir } from '../helpers/temp.js';

let s: TestServer;
let secret: RootSecret;
before(async () => {
  s = await startServer();
  secret = rootSecret();
});
after(async () => { await s.stop(); });

/** An app whose buildpack runs `compile` (sh, $build and $cache set); `step` picks the build's step. */
function repo(compile: string): string {
  const dir = tempDir('slipway-cache-attack-');
  fs.mkdirSync(path.join(dir, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bp/bin/compile'), `#!/bin/sh\nbuild="$1" cache="$2"\nstep=$(cat "$build/step")\n${compile}\nexit 0\n`, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ buildpacks: [{ url: './bp' }] }));
  fs.writeFileSync(path.join(dir, 'step'), '1');
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'first');
  return dir;
}

async function build(app: string, dir: string, step: number): Promise<string> {
  fs.writeFileSync(path.join(dir, 'step'), String(step));
  commitAll(dir, `step ${step}`);
  const r = await cli(s, ['builds:create', '-a', app], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout + r.stderr;
}

test('links in CACHE_DIR are saved as links: the next build reads no root-only file through them', { timeout: 300_000 }, async () => {
  const dir = repo(`
if [ "$step" = 1 ]; then
  ln -s ${secret.file} "$cache/leak-file"
  ln -s ${secret.open} "$cache/leak-dir"
  mkdir -p "$cache/deep" && ln -s ${path.dirname(secret.file)} "$cache/deep/leak-parent"
else
  echo "link: $(readlink "$cache/leak-file")"
  cat "$cache/leak-file" 2>&1 || true
  cat "$cache/leak-dir/open-secret.txt" 2>&1 || true
  cat "$cache/deep/leak-parent/secret.txt" 2>&1 || true
  ls -la "$cache" "$cache/deep" 2>&1 || true
fi`);
  assert.equal((await cli(s, ['apps:create', 'cache-links'])).code, 0);
  await build('cache-links', dir, 1);
  const second = await build('cache-links', dir, 2);
  assert.match(second, /Restoring build cache/);
  assert.match(second, new RegExp(`link: ${secret.file}`), 'the link itself was kept');
  assert.deepEqual(leaked(second, secret), [], second);
});

test('moving the overlay\'s root-only folder and linking a host folder in its place: nothing is read through the link, nothing saved', { timeout: 300_000 }, async () => {
  const host = tempDir('slipway-cache-host-', '/var/tmp');
  fs.chmodSync(host, 0o755);
  fs.mkdirSync(path.join(host, 'upper'), { mode: 0o755 });
  fs.writeFileSync(path.join(host, 'upper', 'planted'), 'planted by the host\n', { mode: 0o644 });
  const dir = repo(`
if [ "$step" = 1 ]; then echo base > "$cache/base"
elif [ "$step" = 2 ]; then
  ws="$(dirname "$cache")"
  echo "rw: $(ls -d "$ws/.cache-rw" 2>&1)"
  mv "$ws/.cache-rw" "$ws/moved" && ln -s ${host} "$ws/.cache-rw" && echo swapped
  echo slipped > "$cache/slipped"
else
  echo "has: $(ls "$cache" | tr '\\n' ' ')"
fi`);
  assert.equal((await cli(s, ['apps:create', 'cache-swap'])).code, 0);
  await build('cache-swap', dir, 1);
  const swap = await build('cache-swap', dir, 2);
  assert.match(swap, /swapped/, 'the tenant could move the folder (its workspace is its own)');
  assert.match(swap, /the cache was not saved/);
  const next = await build('cache-swap', dir, 3);
  assert.match(next, /has: base \n/, 'the cache is the one saved before the swap');
  assert.deepEqual(fs.readdirSync(path.join(host, 'upper')), ['planted'], 'root wrote nothing into the host folder');
});
