// The built-in heroku/nodejs buildpack with yarn and pnpm, as Heroku's Node.js buildpack uses them:
// the lockfile picks the manager, package.json's packageManager its version, Corepack downloads it
// from the npm registry (once per version, into the pipeline's cache), and it installs, runs the
// build scripts and `bin/test` (yarn test / pnpm test) — cold and warm, through the real server.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, type TestServer } from './helpers/server.js';
import { commitAll, git } from './helpers/apps.js';
import { tempDir } from './helpers/temp.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s.stop(); });

const COREPACK = path.join(path.dirname(fs.realpathSync(process.execPath)), '../lib/node_modules/corepack/dist/corepack.js');

/** A project of `spec`'s manager depending on ms, its lockfile made by that manager on this machine. */
function project(spec: string, layoutCheck: string): string {
  const dir = tempDir('slipway-pm-');
  const pm = spec.split('@')[0]!;
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
    name: `${pm}-probe`, version: '1.0.0', private: true, packageManager: spec, dependencies: { ms: '2.1.3' },
    scripts: { build: 'node -e "require(\'fs\').writeFileSync(\'built-by\', process.env.npm_config_user_agent)"', test: 'node --test --test-reporter=tap' },
  }, null, 2));
  fs.mkdirSync(path.join(dir, 'test'));
  fs.writeFileSync(path.join(dir, 'test/pm.test.js'), [
    `const test = require('node:test');\nconst assert = require('node:assert');\nconst fs = require('node:fs');`,
    `test('dependencies are installed', () => assert.equal(require('ms')('1m'), 60000));`,
    `test('${pm} installed them', () => assert.ok(${layoutCheck}));`,
    `test('${pm} ran the build script', () => assert.match(fs.readFileSync('built-by', 'utf8'), /^${pm}\\/${spec.split('@')[1]!.replace(/\./g, '\\.')} /));`,
    `test('${pm} runs the tests (bin/test)', () => assert.match(process.env.npm_config_user_agent, /^${pm}\\//));`,
  ].join('\n') + '\n');
  // Yarn 2+ from the npm registry too (@yarnpkg/cli-dist), as the buildpack has Corepack fetch it.
  const registry = execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim().replace(/\/+$/, '');
  const env = { ...process.env, COREPACK_HOME: tempDir('slipway-pm-corepack-'), COREPACK_ENABLE_DOWNLOAD_PROMPT: '0', COREPACK_INTEGRITY_KEYS: '0', COREPACK_NPM_REGISTRY: registry,
    // The lockfile is made here: Yarn 2+ refuses to write one when it sees CI=true (immutable installs).
    YARN_ENABLE_IMMUTABLE_INSTALLS: 'false' };
  execFileSync(process.execPath, [COREPACK, spec, 'install'], { cwd: dir, env, stdio: 'pipe', timeout: 180_000 });
  for (const f of ['node_modules', '.pnp.cjs', '.pnp.loader.mjs', '.yarn/cache', '.yarn/install-state.gz']) fs.rmSync(path.join(dir, f), { recursive: true, force: true });
  fs.writeFileSync(path.join(dir, '.gitignore'), 'built-by\n');
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'first');
  return dir;
}

async function coldAndWarm(pipeline: string, dir: string, pm: string, version: string): Promise<string> {
  assert.equal((await cli(s, ['pipelines:create', pipeline])).code, 0);
  const cold = await cli(s, ['ci:run', '-p', pipeline], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(cold.code, 0, cold.stdout + cold.stderr);
  assert.match(cold.stdout, new RegExp(`Installing ${pm} ${version.replace(/\./g, '\\.')} with Corepack\\n\\s+Downloading ${pm}@`));
  assert.match(cold.stdout, new RegExp(`Installing dependencies with ${pm}`));
  assert.match(cold.stdout, /succeeded: 4 passed, 0 failed/);
  commitAll(dir, 'again');
  const warm = await cli(s, ['ci:run', '-p', pipeline], { cwd: dir, timeoutMs: 300_000 });
  assert.equal(warm.code, 0, warm.stdout + warm.stderr);
  assert.match(warm.stdout, /Using the cached download/, `${pm} is cached per version`);
  assert.match(warm.stdout, /succeeded: 4 passed, 0 failed/);
  return warm.stdout;
}

test('a yarn.lock project installs with Yarn 1 through Corepack, cold and warm', { timeout: 600_000 }, async () => {
  const dir = project('yarn@1.22.22', `fs.existsSync('node_modules/.yarn-integrity')`);
  assert.ok(fs.existsSync(path.join(dir, 'yarn.lock')));
  const warm = await coldAndWarm('pm-yarn', dir, 'yarn', '1.22.22');
  assert.match(warm, /Restoring node_modules from the cache/);
});

test('a Yarn 4 project (Plug\'n\'Play) installs through Corepack, cold and warm, its packages kept in the pipeline\'s cache', { timeout: 600_000 }, async () => {
  const dir = project('yarn@4.12.0', `fs.existsSync('.pnp.cjs')`);
  assert.ok(fs.existsSync(path.join(dir, 'yarn.lock')));
  const warm = await coldAndWarm('pm-yarn4', dir, 'yarn', '4.12.0');
  assert.doesNotMatch(warm, /YN0013/, 'the warm install fetches nothing (Yarn says YN0013 for packages it adds to its cache)');
});

test('a pnpm-lock.yaml project installs with pnpm through Corepack, cold and warm', { timeout: 600_000 }, async () => {
  const dir = project('pnpm@9.15.0', `fs.existsSync('node_modules/.pnpm')`);
  assert.ok(fs.existsSync(path.join(dir, 'pnpm-lock.yaml')));
  await coldAndWarm('pm-pnpm', dir, 'pnpm', '9.15.0');
});

test('lockfiles of two package managers → errored, naming both and what to do', { timeout: 300_000 }, async () => {
  const dir = project('pnpm@9.15.0', 'true');
  fs.writeFileSync(path.join(dir, 'package-lock.json'), JSON.stringify({ name: 'pnpm-probe', lockfileVersion: 3, requires: true, packages: {} }));
  commitAll(dir, 'two lockfiles');
  assert.equal((await cli(s, ['pipelines:create', 'pm-two'])).code, 0);
  const r = await cli(s, ['ci:run', '-p', 'pm-two'], { cwd: dir, timeoutMs: 300_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stdout + r.stderr, /Lockfiles of more than one package manager: package-lock\.json pnpm-lock\.yaml\. Delete the ones/);
});
