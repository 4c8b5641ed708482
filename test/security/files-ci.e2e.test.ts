// Attack through Heroku CI runs and builds: a source whose lone entry is a link (the unpack, the
// hoist of a lone top folder and the first detection share one sandbox); JUnit report folders and reports that lead to a
// root-only folder, to /proc/self/environ or are FIFOs; a setup cache and a build cache whose
// folder the tenant swapped for a link to a root-only folder, so that root would copy the folder's
// contents into the next run. Nothing may reach a test case, an output stream or the next run.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, gitPush, type TestServer } from '../helpers/server.js';
import { latestRun, casesOf } from '../helpers/runs.js';
import { rootSecret, hostileRepo, appSurface, leaked, type RootSecret } from '../helpers/hostile.js';
import { commitAll, git } from '../helpers/apps.js';
import { tempDir } from '../helpers/temp.js';
import fs from 'node:fs';
import path from 'node:path';

let s: TestServer;
let secret: RootSecret;
let n = 0;

before(async () => {
  s = await startServer();
  secret = rootSecret();
});
after(async () => { await s.stop(); });

/** `ci:run` of `repo` in a new pipeline; its CLI output (setup and test streams) and its test cases. */
async function ciRun(repo: string, pipeline = `sec-${++n}`): Promise<{ code: number; output: string; cases: string }> {
  if (!(await cli(s, ['pipelines:info', pipeline])).stdout.includes(pipeline)) assert.equal((await cli(s, ['pipelines:create', pipeline])).code, 0);
  const r = await cli(s, ['ci:run', '-p', pipeline], { cwd: repo, timeoutMs: 90_000 });
  const run = await latestRun(s, pipeline);
  assert.ok((await fetch(s.url + '/health')).ok, 'the server still answers');
  return { code: r.code, output: r.stdout + r.stderr, cases: JSON.stringify(await casesOf(s, run.id)) };
}

const testApp = (script: string, extra: Parameters<typeof hostileRepo>[0] = {}) =>
  hostileRepo({ appJson: { environments: { test: { buildpacks: [{ url: './bp' }], scripts: { test: script } } } }, ...extra });

test('test-results/ → a root-only folder: not read, a warning names it, TAP still counts', { timeout: 120_000 }, async () => {
  const r = await ciRun(testApp('echo 1..1; echo ok 1 - tap result', { links: { 'test-results': secret.dir } }));
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /test-results is a symbolic link to a path outside the app; Slipway reads only regular files inside the app\. Its reports were not read\./);
  assert.deepEqual(leaked(r.output + r.cases, secret), []);
  assert.match(r.cases, /tap result/);
});

test('$CI_REPORTS_DIR swapped for a link to a root-only folder by the tests: not read', { timeout: 120_000 }, async () => {
  const r = await ciRun(testApp(`rm -rf "$CI_REPORTS_DIR"; ln -s ${secret.dir} "$CI_REPORTS_DIR"; echo 1..1; echo ok 1 - tap result`));
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /\$CI_REPORTS_DIR is a symbolic link to a path outside the app/);
  assert.deepEqual(leaked(r.output + r.cases, secret), []);
});

test('reports that are links to a root-only file and to /proc/self/environ, and a FIFO: skipped by name, the run ends', { timeout: 120_000 }, async () => {
  const script = [
    `ln -s ${secret.dir}/report.xml "$CI_REPORTS_DIR/secret.xml"`,
    'mkdir -p test-results', 'ln -s /proc/self/environ test-results/environ.xml', 'mkfifo test-results/fifo.xml',
    'echo 1..1; echo ok 1 - tap result',
  ].join('; ');
  const r = await ciRun(testApp(script));
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /reports\/secret\.xml is a symbolic link to a path outside the app; .* Skipped\./);
  assert.match(r.output, /test-results\/environ\.xml is a symbolic link to a path outside the app/);
  assert.match(r.output, /test-results\/fifo\.xml is a FIFO \(named pipe\)/);
  assert.deepEqual(leaked(r.output + r.cases, secret), []);
});

// The source is unpacked, its lone top folder hoisted and the first built-in's bin/detect run in one
// sandbox (as the tenant): a lone link must stay a link, whether its folder is root's or one the
// tenant may read (a hoist through it would make a host folder the app folder: detected, built there).
test('a CI source whose only entry is a link to a root-only folder, or to a readable host folder with a package.json, is not taken as the app folder', { timeout: 180_000 }, async () => {
  const host = tempDir('slipway-host-folder-', '/var/tmp');
  fs.chmodSync(host, 0o755);
  fs.writeFileSync(path.join(host, 'package.json'), JSON.stringify({ name: 'host-folder', scripts: { test: 'echo HOST-FOLDER-TESTED' } }), { mode: 0o644 });
  for (const target of [secret.dir, host]) {
    const repo = tempDir('slipway-hostile-');
    fs.symlinkSync(target, path.join(repo, 'app'));
    git(repo, 'init', '-q', '-b', 'main');
    commitAll(repo, 'one entry: a link');
    const r = await ciRun(repo);
    assert.notEqual(r.code, 0, r.output);
    assert.match(r.output, /No built-in buildpack detected/, 'the link stayed a link: nothing of the folder was read');
    assert.doesNotMatch(r.output, /HOST-FOLDER-TESTED|Node\.js app detected/);
    assert.deepEqual(leaked(r.output + r.cases, secret), []);
  }
});

test('a CI source under one top folder (as GitHub tarballs have it) is hoisted, then detected', { timeout: 120_000 }, async () => {
  const repo = tempDir('slipway-lone-folder-');
  fs.mkdirSync(path.join(repo, 'project'));
  fs.writeFileSync(path.join(repo, 'project/package.json'), JSON.stringify({ name: 'lone', version: '1.0.0' }));
  fs.writeFileSync(path.join(repo, 'project/app.json'), JSON.stringify({ environments: { test: { scripts: { test: 'test -f package.json && echo 1..1 && echo ok 1 - hoisted' } } } }));
  git(repo, 'init', '-q', '-b', 'main');
  commitAll(repo, 'one top folder');
  const r = await ciRun(repo);
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Node\.js app detected/);
  assert.match(r.cases, /hoisted/);
});

test('setup cache: $CACHE_DIR swapped for a link to a folder behind a root-only one is not saved; the next run does not see it', { timeout: 180_000 }, async () => {
  const repo = testApp('echo 1..1; echo ok 1', { testCompile: `rm -rf "$2"; ln -s ${secret.open} "$2"; echo swapped the cache` });
  const first = await ciRun(repo, 'sec-cache');
  assert.match(first.output, /the cache was not saved/);
  fs.writeFileSync(path.join(repo, 'bp/bin/test-compile'), '#!/bin/sh\necho "cache holds:"; ls -la "$2"; cat "$2"/* 2>&1; true\n', { mode: 0o755 });
  commitAll(repo, 'read the cache');
  const second = await ciRun(repo, 'sec-cache');
  assert.match(second.output, /cache holds:/);
  assert.doesNotMatch(second.output, /open-secret\.txt|readable\.txt|report\.xml/, 'nothing behind the root-only folder was copied into the cache');
  assert.deepEqual(leaked(first.output + second.output, secret), []);
});

test('setup cache holding links to a root-only file and folder: copied as links, the next run cannot read through them', { timeout: 180_000 }, async () => {
  const repo = testApp('echo 1..1; echo ok 1', { testCompile: `ln -s ${secret.file} "$2/file-link"; ln -s ${secret.dir} "$2/dir-link"; echo planted links` });
  const first = await ciRun(repo, 'sec-cache-links');
  assert.equal(first.code, 0, first.output);
  fs.writeFileSync(path.join(repo, 'bp/bin/test-compile'), '#!/bin/sh\necho "cache holds:"; ls -la "$2"; cat "$2/file-link" "$2/dir-link/readable.txt" 2>&1; true\n', { mode: 0o755 });
  commitAll(repo, 'read through the links');
  const second = await ciRun(repo, 'sec-cache-links');
  assert.match(second.output, /file-link -> /, 'the link itself came back');
  assert.match(second.output, /Permission denied/);
  assert.deepEqual(leaked(first.output + second.output, secret), []);
});

test('build cache: CACHE_DIR swapped for a link to a folder behind a root-only one cannot be, or is not saved; the next build does not see it', { timeout: 180_000 }, async () => {
  const repo = hostileRepo({ compile: `rm -rf "$2"; ln -s ${secret.open} "$2"; echo swapped the cache`, files: { Procfile: 'worker: sleep 600\n' } });
  assert.equal((await cli(s, ['apps:create', 'sec-build-cache'])).code, 0);
  assert.equal((await cli(s, ['git:remote', '-a', 'sec-build-cache'], { cwd: repo })).code, 0);
  const first = await gitPush(s, repo, ['slipway', 'main']);
  assert.equal(first.code, 0, first.output);
  // As root CACHE_DIR is an overlay mount (rm: busy; the link lands inside it, saved as a link); else the swapped folder is not saved.
  assert.match(first.output, process.getuid?.() === 0 ? /cannot remove .*cache.*: Device or resource busy/ : /the cache was not saved/);
  fs.writeFileSync(path.join(repo, 'bp/bin/compile'), '#!/bin/sh\necho "cache holds:"; ls -la "$2"; cat "$2"/* 2>&1; true\n', { mode: 0o755 });
  commitAll(repo, 'read the cache');
  const second = await gitPush(s, repo, ['slipway', 'main']);
  assert.equal(second.code, 0, second.output);
  assert.match(second.output, /cache holds:/);
  assert.doesNotMatch(second.output, /open-secret\.txt|readable\.txt|report\.xml/, 'nothing behind the root-only folder was copied into the cache');
  assert.deepEqual(leaked(first.output + second.output + await appSurface(s, 'sec-build-cache'), secret), []);
});
