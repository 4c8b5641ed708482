// A slug's node_modules is its own gzip member, kept on the build host and reused by the next build
// whose node_modules is the same bytes, through the real server: the stored slug unpacks to the same
// tree, a changed node_modules is compressed anew, and a node_modules changed in place with its
// sizes and times kept (the sandbox's cheap check says "the same") still gets its new bytes into the
// slug — the runner's own hash of the walked stream decides, never the sandbox's word.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { commitAll, repoWithBuildpack } from './helpers/apps.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

// node_modules made from the source's dep.txt (same size whatever its digit), every time stamped
// alike, as a restored cache keeps them; the app's own file changes with each commit.
const COMPILE = `set -e
b="$1"
mkdir -p "$b/node_modules/dep" "$b/node_modules/.bin"
printf 'module.exports = %s;\\n' "$(cat "$b/dep.txt")" > "$b/node_modules/dep/index.js"
head -c 200000 /dev/zero | tr '\\0' 'z' > "$b/node_modules/dep/big.js"
ln -sf ../dep/index.js "$b/node_modules/.bin/dep"
find "$b/node_modules" -exec touch -h -d @1700000000 {} +
echo compiled`;

/** The build's slug file, its layer file (the member kept for the app) and the step names the server logged for it. */
async function build(app: string, dir: string): Promise<{ slug: Buffer; kept: Buffer | undefined; steps: string; slugPath: string }> {
  const r = await cli(s, ['builds:create', '-a', app], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const builds = (await api<{ id: string; slug: { id: string } | null; created_at: string }[]>(s, 'GET', `/apps/${app}/builds`)).json;
  const last = builds.filter((b) => b.slug).sort((x, y) => x.created_at.localeCompare(y.created_at)).at(-1)!;
  const slugPath = path.join(s.dataDir, 'slugs', `${last.slug!.id}.tgz`);
  const appId = JSON.parse((await cli(s, ['apps:info', '-a', app, '--json'])).stdout).id as string;
  const layerDir = path.join(s.dataDir, 'build-cache', appId, 'slug-layer');
  let kept: Buffer | undefined;
  try { kept = fs.readFileSync(path.join(layerDir, `${JSON.parse(fs.readFileSync(path.join(layerDir, 'current.json'), 'utf8')).sha256}.gz`)); } catch { /* none */ }
  // The server logs a build's steps before its end; its output reaches this process through a pipe.
  const stepLine = () => s.output().split('\n').filter((l) => l.includes(`build: ${last.id} of ${app}:`)).join('\n');
  for (let i = 0; i < 100 && !stepLine(); i++) await new Promise((r) => setTimeout(r, 50));
  const steps = stepLine();
  assert.ok(steps, `the server logged build ${last.id}'s steps`);
  return { slug: fs.readFileSync(slugPath), kept, steps, slugPath };
}

const member = (slugPath: string, name: string) => execFileSync('tar', ['-xzOf', slugPath, name], { encoding: 'utf8' });
const listing = (slugPath: string) => execFileSync('tar', ['-tvzf', slugPath], { encoding: 'utf8' }).split('\n').filter(Boolean).map((l) => l.replace(/\s+\d{4}-\d\d-\d\d \d\d:\d\d\s+/, ' ')).sort();

test('node_modules is kept as the slug\'s second gzip member and reused while its bytes are the same; bytes changed in place are packed anew', { timeout: 600_000 }, async () => {
  const dir = repoWithBuildpack({}, COMPILE);
  fs.writeFileSync(path.join(dir, 'dep.txt'), '1');
  fs.writeFileSync(path.join(dir, 'server.js'), 'console.log("v1")\n');
  commitAll(dir, 'v1');
  assert.equal((await cli(s, ['apps:create', 'layer-app'])).code, 0);

  const first = await build('layer-app', dir);
  assert.ok(first.kept, 'the first build kept its node_modules member');
  assert.ok(first.slug.subarray(-first.kept.length).equals(first.kept), 'the slug ends with the kept member');
  assert.match(first.steps, /slug compress, check/);
  assert.equal(member(first.slugPath, './node_modules/dep/index.js'), 'module.exports = 1;\n');
  assert.equal(member(first.slugPath, './server.js'), 'console.log("v1")\n');

  // The app changed, node_modules did not: the kept member is the slug's, not compressed again.
  fs.writeFileSync(path.join(dir, 'server.js'), 'console.log("v2")\n');
  commitAll(dir, 'v2');
  const second = await build('layer-app', dir);
  assert.match(second.steps, /slug compress \(node_modules kept\), check/);
  assert.ok(second.kept?.equals(first.kept), 'the same member is kept');
  assert.ok(second.slug.subarray(-first.kept.length).equals(first.kept), 'the slug ends with it');
  assert.equal(member(second.slugPath, './server.js'), 'console.log("v2")\n');
  assert.equal(member(second.slugPath, './node_modules/dep/index.js'), 'module.exports = 1;\n');
  // One archive of the same entries as a build that packed everything: the app's end blocks were cut.
  assert.deepEqual(listing(second.slugPath).filter((l) => !l.endsWith('server.js')), listing(first.slugPath).filter((l) => !l.endsWith('server.js')));

  // node_modules changed in place, sizes and times kept: the sandbox's check says "the same", the
  // runner's hash of the walked bytes says otherwise, and the slug holds the new bytes.
  fs.writeFileSync(path.join(dir, 'dep.txt'), '2');
  commitAll(dir, 'dep 2, same size and times');
  const third = await build('layer-app', dir);
  assert.doesNotMatch(third.steps, /node_modules kept/);
  assert.equal(member(third.slugPath, './node_modules/dep/index.js'), 'module.exports = 2;\n');
  assert.ok(third.kept && !third.kept.equals(first.kept), 'the new member is kept instead');
  assert.ok(third.slug.subarray(-third.kept.length).equals(third.kept));
  const run = await cli(s, ['run', '-a', 'layer-app', '--', 'cat node_modules/dep/index.js; readlink node_modules/.bin/dep'], { timeoutMs: 60_000 });
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.match(run.stdout, /module\.exports = 2;\s+\.\.\/dep\/index\.js/);

  // The build cache's purge drops the kept member too: the next build compresses it.
  assert.equal((await cli(s, ['builds:cache:purge', '-a', 'layer-app', '--confirm', 'layer-app'])).code, 0);
  commitAll(dir, 'after the purge');
  const fourth = await build('layer-app', dir);
  assert.doesNotMatch(fourth.steps, /node_modules kept/);
  assert.equal(member(fourth.slugPath, './node_modules/dep/index.js'), 'module.exports = 2;\n');
});
