// An app's build cache end to end through the real server: a build's CACHE_DIR holds what the
// app's previous successful build left there (copy-on-write over the saved cache), a failed build
// leaves the saved cache as it was, a build that changes nothing saves nothing, two apps' caches
// stay apart, a purge empties it; the Node.js buildpack's cached build restores node_modules and
// the app serves its new code. No cache mount is left after a stop, nor after a SIGKILL and restart.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, viaRouter, type TestServer } from './helpers/server.js';
import { commitAll, exampleRepo, git } from './helpers/apps.js';
import { tempDir } from './helpers/temp.js';
import { mountPoints } from '../src/sandbox/mount-table.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

/** Mount points under `dir` (this test's server's data folder). */
const mountsIn = (dir: string): string[] => mountPoints(fs.readFileSync('/proc/self/mountinfo', 'utf8')).filter((m) => m.startsWith(dir + '/'));

// Counts its builds in CACHE_DIR and adds a file per build; FAIL makes it wreck the cache and fail,
// UNCHANGED makes it only read the cache, HANG makes it wait (for the kill test).
const COMPILE = `#!/bin/sh
set -e
build="$1" cache="$2"
n=$(cat "$cache/builds" 2>/dev/null || echo 0)
echo "cache had $n builds: $(ls "$cache/files" 2>/dev/null | tr '\\n' ' ')"
if [ -f "$build/HANG" ]; then echo hanging; sleep 600; fi
if [ -f "$build/UNCHANGED" ]; then exit 0; fi
echo $((n + 1)) > "$cache/builds"
mkdir -p "$cache/files" && echo x > "$cache/files/f$((n + 1))"
mkdir -p "$cache/tmp" && touch "$cache/tmp/scratch" && rm -rf "$cache/tmp"
if [ -f "$build/FAIL" ]; then echo 99 > "$cache/builds"; rm -rf "$cache/files"; echo "failing on purpose"; exit 1; fi
`;

function cacheRepo(): string {
  const dir = tempDir('slipway-cache-app-');
  fs.mkdirSync(path.join(dir, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'bp/bin/compile'), COMPILE, { mode: 0o755 });
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ buildpacks: [{ url: './bp' }] }));
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'first');
  return dir;
}

/** Build `dir` as `app` with `flag` (FAIL, UNCHANGED, HANG) present or not; the exit code and output. */
async function build(server: TestServer, app: string, dir: string, flag?: string): Promise<{ code: number; out: string }> {
  for (const f of ['FAIL', 'UNCHANGED', 'HANG']) fs.rmSync(path.join(dir, f), { force: true });
  if (flag) fs.writeFileSync(path.join(dir, flag), '');
  commitAll(dir, `build ${flag ?? ''}`);
  const r = await cli(server, ['builds:create', '-a', app], { cwd: dir, timeoutMs: 300_000 });
  return { code: r.code, out: r.stdout + r.stderr };
}

const appId = async (server: TestServer, app: string): Promise<string> => JSON.parse((await cli(server, ['apps:info', '-a', app, '--json'])).stdout).id as string;

test('a second build starts from the first one\'s cache; a failed build leaves it as it was; unchanged is not saved again; two apps stay apart', { timeout: 600_000 }, async () => {
  const dir = cacheRepo();
  for (const a of ['cache-a', 'cache-b']) assert.equal((await cli(s, ['apps:create', a])).code, 0);

  const first = await build(s, 'cache-a', dir);
  assert.equal(first.code, 0, first.out);
  assert.match(first.out, /cache had 0 builds: \n/);
  assert.doesNotMatch(first.out, /Restoring build cache/);

  const second = await build(s, 'cache-a', dir);
  assert.equal(second.code, 0, second.out);
  assert.match(second.out, /Restoring build cache/);
  assert.match(second.out, /cache had 1 builds: f1 \n/);

  const failed = await build(s, 'cache-a', dir, 'FAIL');
  assert.notEqual(failed.code, 0, failed.out);
  assert.match(failed.out, /cache had 2 builds: f1 f2 \n[\s\S]*failing on purpose/);

  const after = await build(s, 'cache-a', dir, 'UNCHANGED');
  assert.equal(after.code, 0, after.out);
  assert.match(after.out, /cache had 2 builds: f1 f2 \n/, 'the failed build\'s writes are gone');
  assert.match(after.out, /The cache is unchanged; not saved again/);

  // The other app's cache is its own: empty at first, and its builds leave cache-a's alone.
  const other = await build(s, 'cache-b', dir);
  assert.equal(other.code, 0, other.out);
  assert.match(other.out, /cache had 0 builds: \n/);
  assert.doesNotMatch(other.out, /Restoring build cache/);
  const again = await build(s, 'cache-a', dir);
  assert.match(again.out, /cache had 2 builds: f1 f2 \n/);

  // On the host: one saved version per app (earlier ones removed), and no cache mount left.
  for (const a of ['cache-a', 'cache-b']) {
    const appDir = path.join(s.dataDir, 'build-cache', await appId(s, a));
    const versions = fs.readdirSync(appDir).filter((n) => n.startsWith('v-'));
    assert.equal(versions.length, 1, `${a}: ${fs.readdirSync(appDir).join(', ')}`);
    assert.equal(fs.readlinkSync(path.join(appDir, 'current')), versions[0]);
  }
  assert.deepEqual(mountsIn(s.dataDir).filter((m) => m.includes('/build-')), []);

  // A purge empties it: the next build starts afresh.
  assert.equal((await cli(s, ['builds:cache:purge', '-a', 'cache-a', '--confirm', 'cache-a'])).code, 0);
  const purged = await build(s, 'cache-a', dir);
  assert.match(purged.out, /cache had 0 builds: \n/);
});

test('Node.js app: the cached build restores node_modules and the app serves its new code', { timeout: 600_000 }, async () => {
  const dir = exampleRepo('web-app', (d) => {
    const pkg = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
    pkg.dependencies = { ms: '2.1.3' };
    fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify(pkg, null, 2));
    execFileSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: d, stdio: 'pipe', timeout: 180_000 });
  });
  const setVersion = (v: string) => {
    const f = path.join(dir, 'server.js');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/const VERSION = '[^']*';/, `const VERSION = '${v}';`));
    commitAll(dir, `version ${v}`);
  };
  assert.equal((await cli(s, ['apps:create', 'cache-node'])).code, 0);
  for (const [v, cached] of [['one', false], ['two', true]] as const) {
    setVersion(v);
    const b = await cli(s, ['builds:create', '-a', 'cache-node'], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    if (cached) {
      assert.match(b.stdout, /Restoring build cache/);
      assert.match(b.stdout, /Restoring node_modules from the cache/);
      assert.match(b.stdout, /The cache is unchanged; not saved again/);
    } else assert.match(b.stdout, /Installing dependencies with npm ci/);
    let body = '';
    for (let i = 0; i < 600 && !body.includes(`code ${v}`); i++) {
      body = (await viaRouter(s, 'cache-node').catch(() => ({ body: '' }))).body;
      if (!body.includes(`code ${v}`)) await new Promise((r) => setTimeout(r, 100));
    }
    assert.match(body, new RegExp(`running code ${v}`));
  }
  const r = await cli(s, ['run', '-a', 'cache-node', '--', `node -e 'console.log(require("ms")(60000))'`], { timeoutMs: 120_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^1m$/m);
  // Without a lockfile npm install runs over the cached tree (with a scratch copy of npm's cache
  // index): a build that downloads nothing leaves the cache unchanged.
  fs.rmSync(path.join(dir, 'package-lock.json'));
  for (const v of ['three', 'four']) {
    setVersion(v);
    const b = await cli(s, ['builds:create', '-a', 'cache-node'], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    if (v === 'four') {
      assert.match(b.stdout, /Installing dependencies with npm install over the cached node_modules/);
      assert.match(b.stdout, /The cache is unchanged; not saved again/);
    }
  }
});

test('no cache mount is left after a stop, nor after a SIGKILL mid-build and a restart', { timeout: 600_000 }, async () => {
  const env = { SLIPWAY_BUILD_TIMEOUT_SECONDS: '300' };
  const k = await startServer(env);
  const dir = cacheRepo();
  let restarted: TestServer | undefined;
  try {
    assert.equal((await cli(k, ['apps:create', 'cache-kill'])).code, 0);
    assert.equal((await build(k, 'cache-kill', dir)).code, 0);
    const hanging = build(k, 'cache-kill', dir, 'HANG');
    const overlays = () => mountsIn(k.dataDir).filter((m) => m.endsWith('/cache'));
    for (let i = 0; i < 1200 && overlays().length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(overlays().length, 1, 'the hanging build has its cache mounted');
    await k.kill();
    await hanging;
    assert.equal(overlays().length, 1, 'a killed server leaves its mounts');
    restarted = await startServer(env, k.dataDir);
    assert.deepEqual(mountsIn(k.dataDir), [], 'the restarted server removed them');
    const next = await build(restarted, 'cache-kill', dir);
    assert.equal(next.code, 0, next.out);
    assert.match(next.out, /cache had 1 builds: f1 \n/);
    await restarted.stop();
    assert.deepEqual(mountsIn(k.dataDir), [], 'nothing mounted after a stop');
  } finally {
    await k.kill();
    await restarted?.stop();
  }
});
