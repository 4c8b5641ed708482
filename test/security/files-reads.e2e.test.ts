// Attack: a pushed app whose Procfile, app.json or .slugignore leads to a root-only file or to the
// server's own /proc/self/environ (which holds the admin token), whose app folder is swapped for a
// link during the build, whose Procfile becomes a FIFO or /dev/zero, or which names a host folder
// as its buildpack. Root must read none of it: each push fails with a message naming the file, no
// secret reaches the push output, the API or the app's log, and the server keeps answering.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, cli, gitPush, type TestServer } from '../helpers/server.js';
import fs from 'node:fs';
import path from 'node:path';
import { git, commitAll } from '../helpers/apps.js';
import { rootSecret, hostileRepo, appSurface, leaked, type RootSecret } from '../helpers/hostile.js';
import { assertAnswered, healthProbe, type HealthReport } from '../helpers/health-probe.js';
import { tempDir } from '../helpers/temp.js';

let s: TestServer;
let secret: RootSecret;
let n = 0;

before(async () => {
  s = await startServer({ SLIPWAY_BUILD_TIMEOUT_SECONDS: '60' });
  secret = rootSecret();
});
after(async () => { await s.stop(); });

interface Pushed { code: number; output: string; surface: string; health: HealthReport; from: number; to: number }

/** Create an app, push `repo` to it; the push output, what the API shows of the app, and /health meanwhile. */
async function pushApp(repo: string): Promise<Pushed> {
  const app = `hostile-${++n}`;
  assert.equal((await cli(s, ['apps:create', app])).code, 0);
  assert.equal((await cli(s, ['git:remote', '-a', app], { cwd: repo })).code, 0);
  const probe = healthProbe(s);
  const from = performance.now();
  const push = await gitPush(s, repo, ['slipway', 'main']);
  const to = performance.now();
  const health = await probe.stop();
  console.log(`# ${app}: push exit ${push.code} after ${(to - from).toFixed(0)} ms; ${health.summary}`);
  assert.ok((await fetch(s.url + '/health')).ok, 'the server still answers');
  return { code: push.code, output: push.output, surface: await appSurface(s, app), health, from, to };
}

function refused(r: Pushed, message: RegExp): void {
  assert.notEqual(r.code, 0, `the push fails:\n${r.output}`);
  assert.match(r.output, message);
  assert.deepEqual(leaked(r.output + r.surface, secret), [], 'no secret and no admin token in the push output, the API or the log');
  assertAnswered(r.health, r.from, r.to, 'the push');
}

const OUTSIDE = /is a symbolic link to a path outside the app; Slipway reads only regular files inside the app/;

test('Procfile → a root-only file, and → /proc/self/environ', { timeout: 120_000 }, async () => {
  refused(await pushApp(hostileRepo({ links: { Procfile: `${secret.dir}/Procfile` } })), new RegExp(`Procfile ${OUTSIDE.source}`));
  refused(await pushApp(hostileRepo({ links: { Procfile: '/proc/self/environ' } })), new RegExp(`Procfile ${OUTSIDE.source}`));
});

test('app.json → a root-only file, and → /proc/self/environ', { timeout: 120_000 }, async () => {
  refused(await pushApp(hostileRepo({ appJson: null, links: { 'app.json': `${secret.dir}/app.json` } })), new RegExp(`app\\.json ${OUTSIDE.source}`));
  refused(await pushApp(hostileRepo({ appJson: null, links: { 'app.json': '/proc/self/environ' } })), new RegExp(`app\\.json ${OUTSIDE.source}`));
});

test('.slugignore → a root-only file, and → /proc/self/environ', { timeout: 120_000 }, async () => {
  refused(await pushApp(hostileRepo({ links: { '.slugignore': secret.file } })), new RegExp(`\\.slugignore ${OUTSIDE.source}`));
  refused(await pushApp(hostileRepo({ links: { '.slugignore': '/proc/self/environ' } })), new RegExp(`\\.slugignore ${OUTSIDE.source}`));
});

test('the app folder swapped for a link to a root-only folder during the build (a linked parent of Procfile)', { timeout: 120_000 }, async () => {
  const compile = `mv "$1" "$1.moved" && ln -s ${secret.dir} "$1" && echo swapped`;
  refused(await pushApp(hostileRepo({ compile })), /Procfile is inside a folder that is a symbolic link to a path outside the app/);
});

test('a source whose only entry is a link to a root-only folder is not taken as the app folder', { timeout: 120_000 }, async () => {
  const repo = tempDir('slipway-hostile-');
  fs.symlinkSync(secret.dir, path.join(repo, 'app'));
  git(repo, 'init', '-q', '-b', 'main');
  commitAll(repo, 'one entry: a link');
  const r = await pushApp(repo);
  assert.notEqual(r.code, 0);
  assert.match(r.output, /No built-in buildpack detected/, 'the link stayed a link: nothing of the folder was read');
  assert.deepEqual(leaked(r.output + r.surface, secret), []);
});

test('a FIFO as Procfile (made by bin/compile) and /dev/zero as Procfile: a clear error at once, the API answering', { timeout: 120_000 }, async () => {
  const fifo = await pushApp(hostileRepo({ compile: 'rm -f "$1/Procfile"; mkfifo "$1/Procfile"; echo made a fifo' }));
  refused(fifo, /Procfile is a FIFO \(named pipe\); Slipway reads only regular files inside the app/);
  const zero = await pushApp(hostileRepo({ compile: 'ln -sf /dev/zero "$1/Procfile"; echo linked /dev/zero' }));
  refused(zero, new RegExp(`Procfile ${OUTSIDE.source}`));
});

test('an absolute host folder as buildpack is refused naming the path and SLIPWAY_BUILDPACK_DIRS; a ./folder linked out copies nothing', { timeout: 120_000 }, async () => {
  const host = await pushApp(hostileRepo({ appJson: { buildpacks: [{ url: secret.dir }] } }));
  refused(host, new RegExp(`Buildpack "${secret.dir}" is a folder on the server \\(${secret.dir}\\) outside the folders the operator allows for buildpacks \\(SLIPWAY_BUILDPACK_DIRS: `));
  const fileUrl = await pushApp(hostileRepo({ appJson: { buildpacks: [{ url: `file://${secret.dir}` }] } }));
  refused(fileUrl, /SLIPWAY_BUILDPACK_DIRS/);
  const linked = await pushApp(hostileRepo({ appJson: { buildpacks: [{ url: './linked' }] }, links: { linked: secret.dir } }));
  refused(linked, /Buildpack "\.\/linked" could not be copied: cp: cannot (stat|open|access) .*Permission denied/);
});

test('a folder the operator lists in SLIPWAY_BUILDPACK_DIRS is usable as a buildpack', { timeout: 120_000 }, async () => {
  const listed = tempDir('slipway-operator-bps-');
  fs.mkdirSync(path.join(listed, 'bp/bin'), { recursive: true });
  fs.writeFileSync(path.join(listed, 'bp/bin/compile'), '#!/bin/sh\necho the operator buildpack ran\n', { mode: 0o755 });
  const operator = await startServer({ SLIPWAY_BUILDPACK_DIRS: listed });
  try {
    const repo = hostileRepo({ appJson: { buildpacks: [{ url: path.join(listed, 'bp') }] }, files: { Procfile: 'worker: sleep 600\n' } });
    assert.equal((await cli(operator, ['apps:create', 'operator-bp'])).code, 0);
    assert.equal((await cli(operator, ['git:remote', '-a', 'operator-bp'], { cwd: repo })).code, 0);
    const push = await gitPush(operator, repo, ['slipway', 'main']);
    assert.equal(push.code, 0, push.output);
    assert.match(push.output, /the operator buildpack ran/);
  } finally { await operator.stop(); }
});
