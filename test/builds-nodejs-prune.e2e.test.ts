// The built-in heroku/nodejs buildpack prunes devDependencies from an app's slug after its build,
// as Heroku's Node.js buildpack does with each package manager — npm prune, Yarn 1's production
// install, pnpm prune, Yarn 4's `workspaces focus --all --production` — and keeps them when the
// app says so (NPM_CONFIG_PRODUCTION=false, YARN2_SKIP_PRUNING=true). Shown through the real
// server: a build, then a one-off in the release that asks which packages resolve.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { commitAll, git } from './helpers/apps.js';
import { tempDir } from './helpers/temp.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

const COREPACK = path.join(path.dirname(fs.realpathSync(process.execPath)), '../lib/node_modules/corepack/dist/corepack.js');
const CHECK = `for (const m of ['ms', 'once']) { try { require.resolve(m); console.log(m + ' present'); } catch { console.log(m + ' absent'); } }\n`;

/**
 * An app depending on ms, with once as its only devDependency, its lockfile made by `spec`'s manager
 * (npm when none); `fields` replace package.json's.
 */
function project(spec?: string, fields: Record<string, unknown> = {}): string {
  const dir = tempDir('slipway-prune-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: 'prune-probe', version: '1.0.0', private: true, ...(spec ? { packageManager: spec } : {}),
    dependencies: { ms: '2.1.3' }, devDependencies: { once: '1.4.0' }, ...fields,
  }, null, 2));
  fs.writeFileSync(path.join(dir, 'check.js'), CHECK);
  // No web process: the build and a one-off are what this shows.
  fs.writeFileSync(path.join(dir, 'Procfile'), 'check: node check.js\n');
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim().replace(/\/+$/, '');
  const env = { ...process.env, COREPACK_HOME: tempDir('slipway-prune-corepack-'), COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', COREPACK_INTEGRITY_KEYS: '0', COREPACK_NPM_REGISTRY: registry,
    // The lockfile is made here: Yarn 2+ refuses to write one when it sees CI=true (immutable installs).
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' };
  if (spec) execFileSync(process.execPath, [COREPACK, spec, 'install'], { cwd: dir, env, stdio: 'pipe', timeout: 180_000 });
  else execFileSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe', timeout: 180_000 });
  for (const f of ['node_modules', '.pnp.cjs', '.pnp.loader.mjs', '.yarn/cache', '.yarn/install-state.gz']) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'first');
  return dir;
}

/** Build `dir` as app `a` (with `config` set first) and say which packages its slug resolves. */
async function buildAndCheck(a: string, dir: string, config: string[] = [], check = 'node check.js'): Promise<{ build: string; resolves: string }> {
  assert.equal((await cli(s, ['apps:create', a])).code, 0);
  if (config.length) assert.equal((await cli(s, ['config:set', ...config, '-a', a])).code, 0);
  const b = await cli(s, ['builds:create', '-a', a], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const r = await cli(s, ['run', '-a', a, '--', check], { timeoutMs: 60_000 });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return { build: b.stdout + b.stderr, resolves: r.stdout };
}

test('npm: devDependencies pruned from the slug; NPM_CONFIG_PRODUCTION=false keeps them', { timeout: 600_000 }, async () => {
  const dir = project();
  const pruned = await buildAndCheck('prune-npm', dir);
  assert.match(pruned.build, /Pruning devDependencies/);
  assert.match(pruned.resolves, /ms present\s+once absent/);
  // The stored slug holds exactly the pruned app the release's dynos see (packed from one tar stream, checked as it was packed).
  const builds = (await api<{ slug: { id: string } | null }[]>(s, 'GET', '/apps/prune-npm/builds')).json;
  const slugId = builds.find((b) => b.slug)?.slug?.id;
  assert.ok(slugId);
  const names = (text: string) => text.split('\n').map((l) => l.trim().replace(/^\.\//, '').replace(/\/$/, '')).filter((l) => l && l !== '.').sort();
  const inSlug = names(execFileSync('tar', ['-tzf', path.join(s.dataDir, 'slugs', `${slugId}.tgz`)], { encoding: 'utf8' }));
  const listed = await cli(s, ['run', '-a', 'prune-npm', '--', 'find . -mindepth 1'], { timeoutMs: 60_000 });
  assert.equal(listed.code, 0, listed.stdout + listed.stderr);
  assert.deepEqual(inSlug, names(listed.stdout));
  for (const f of ['Procfile', 'check.js', 'package.json', 'package-lock.json', 'node_modules/.package-lock.json', 'node_modules/ms/package.json', 'node_modules/ms/index.js']) assert.ok(inSlug.includes(f), `${f} is in the slug`);
  assert.deepEqual(inSlug.filter((f) => /^node_modules\/(once|wrappy)(\/|$)/.test(f)), [], 'no devDependency is in the slug');
  const kept = await buildAndCheck('prune-npm-kept', dir, ['NPM_CONFIG_PRODUCTION=false']);
  assert.doesNotMatch(kept.build, /Pruning devDependencies/);
  assert.match(kept.resolves, /ms present\s+once present/);
});

test('npm, cached: the cache\'s pruned copy is restored only while the prune would start from the cached tree with the same npm settings', { timeout: 600_000 }, async () => {
  const dir = project();
  const a = 'prune-npm-cached';
  const first = await buildAndCheck(a, dir);
  assert.match(first.build, /removed 2 packages/);
  const slugNames = async (): Promise<string[]> => {
    const builds = (await api<{ slug: { id: string } | null; created_at: string }[]>(s, 'GET', `/apps/${a}/builds`)).json;
    const last = builds.filter((b) => b.slug).sort((x, y) => x.created_at.localeCompare(y.created_at)).at(-1);
    assert.ok(last?.slug);
    return execFileSync('tar', ['-tzf', path.join(s.dataDir, 'slugs', `${last.slug.id}.tgz`)], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  };
  const firstSlug = await slugNames();
  const rebuild = async (): Promise<{ build: string; resolves: string }> => {
    const b = await cli(s, ['builds:create', '-a', a], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const r = await cli(s, ['run', '-a', a, '--', 'node check.js'], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    return { build: b.stdout + b.stderr, resolves: r.stdout };
  };
  // Same lockfile, settings and no script in between: the pruned copy, and what npm printed making it.
  const second = await rebuild();
  assert.match(second.build, /Restoring node_modules from the cache, devDependencies pruned/);
  assert.match(second.build, /npm prune --omit=dev made it, printing then:\s+removed 2 packages/);
  assert.match(second.resolves, /ms present\s+once absent/);
  assert.deepEqual(await slugNames(), firstSlug, 'the slug holds the same files as when npm pruned');
  // An npm setting that changes what prune keeps: npm prunes the full cached tree again, and keeps them.
  assert.equal((await cli(s, ['config:set', 'NPM_CONFIG_INCLUDE=dev', '-a', a])).code, 0);
  const included = await rebuild();
  assert.doesNotMatch(included.build, /devDependencies pruned/);
  assert.match(included.resolves, /ms present\s+once present/);
  assert.equal((await cli(s, ['config:unset', 'NPM_CONFIG_INCLUDE', '-a', a])).code, 0);
  const unset = await rebuild();
  assert.doesNotMatch(unset.build, /devDependencies pruned \(/, 'the copy kept was pruned under the other setting');
  assert.match(unset.resolves, /ms present\s+once absent/);
  // A build script runs before the prune and may need the devDependencies: the full tree is restored.
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, scripts: { build: 'node -e "require(\'once\'); console.log(\'built with once\')"' } }, null, 2));
  commitAll(dir, 'a build script');
  const scripted = await rebuild();
  assert.doesNotMatch(scripted.build, /devDependencies pruned \(/);
  assert.match(scripted.build, /built with once/);
  assert.match(scripted.resolves, /ms present\s+once absent/);
});

test('npm without devDependencies: no prune to run, unless the build installed a package the lockfile lacks', { timeout: 600_000 }, async () => {
  const none = await buildAndCheck('prune-npm-none', project(undefined, { devDependencies: {} }));
  assert.match(none.build, /Pruning devDependencies\s+None in the lockfile, and node_modules holds only its packages: nothing to prune/);
  assert.match(none.resolves, /ms present\s+once absent/);
  // A build script's unsaved install is not the lockfile's: npm prune runs and removes it, as on Heroku.
  const extra = await buildAndCheck('prune-npm-extra', project(undefined, { devDependencies: {}, scripts: { build: 'npm install --no-save --no-audit --no-fund once@1.4.0' } }));
  assert.doesNotMatch(extra.build, /nothing to prune/);
  assert.match(extra.build, /Pruning devDependencies/);
  assert.match(extra.resolves, /ms present\s+once absent/);
});

test('Yarn 1 and pnpm: devDependencies pruned from the slug', { timeout: 600_000 }, async () => {
  const yarn = await buildAndCheck('prune-yarn1', project('yarn@1.22.22'));
  assert.match(yarn.build, /Pruning devDependencies/);
  assert.match(yarn.resolves, /ms present\s+once absent/);
  const pnpm = await buildAndCheck('prune-pnpm', project('pnpm@9.15.0'));
  assert.match(pnpm.build, /Pruning devDependencies/);
  assert.match(pnpm.resolves, /ms present\s+once absent/);
});

test('Yarn 4 (Plug\'n\'Play): pruned with workspaces focus; YARN2_SKIP_PRUNING=true keeps them; YARN_PRODUCTION fails the build naming the setting to use', { timeout: 600_000 }, async () => {
  const dir = project('yarn@4.12.0');
  assert.ok(fs.existsSync(path.join(dir, 'yarn.lock')));
  const pruned = await buildAndCheck('prune-yarn4', dir, [], 'yarn node check.js');
  assert.match(pruned.build, /Installing yarn 4\.12\.0 with Corepack/);
  assert.match(pruned.build, /Pruning devDependencies/);
  assert.match(pruned.resolves, /ms present\s+once absent/);
  const kept = await buildAndCheck('prune-yarn4-kept', dir, ['YARN2_SKIP_PRUNING=true'], 'yarn node check.js');
  assert.doesNotMatch(kept.build, /Pruning devDependencies/);
  assert.match(kept.resolves, /ms present\s+once present/);
  assert.equal((await cli(s, ['apps:create', 'prune-yarn4-bad'])).code, 0);
  assert.equal((await cli(s, ['config:set', 'YARN_PRODUCTION=false', '-a', 'prune-yarn4-bad'])).code, 0);
  const bad = await cli(s, ['builds:create', '-a', 'prune-yarn4-bad'], { cwd: dir, timeoutMs: 300_000 });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stdout + bad.stderr, /YARN_PRODUCTION is a Yarn 1 setting; this app uses Yarn 4\.12\.0\. Unset it .*set YARN2_SKIP_PRUNING=true to keep devDependencies/);
});
