// Attacks on how the host starts a sandbox, through the real server and CLI: a repository's own
// bin/bwrap, bin/setpriv, bin/ip and node_modules/.bin/bwrap; LD_PRELOAD and LD_LIBRARY_PATH as
// config vars and `run --env`; a nested user namespace inside a CI step.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, type TestServer } from '../helpers/server.js';
import { hostileRepo, markerDir, markers, preloadLibrary } from './identity-fixtures.js';

let s: TestServer;
let marks: string;
let repo: string;
let so: string;
const A = 'hostile-launchers';

const tenantUid = (out: string, what: string): number => {
  const m = new RegExp(`probe ${what} uid=(\\d+)`).exec(out);
  assert.ok(m, `the ${what} probe ran: ${out}`);
  return Number(m[1]);
};

const assertSandboxed = (out: string, what: string): number => {
  assert.doesNotMatch(out, /HIJACKED/, `no hijacked launcher ran for the ${what}`);
  assert.match(out, new RegExp(`probe ${what} uid=`), `the ${what} itself ran: ${out}`);
  assert.match(out, /host path not writable/, `the ${what} cannot write host paths`);
  const uid = tenantUid(out, what);
  assert.notEqual(uid, 0);
  return uid;
};

before(async () => {
  marks = markerDir();
  so = preloadLibrary(marks);
  repo = hostileRepo(marks);
  s = await startServer({ SLIPWAY_SANDBOX: 'bwrap', SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
});
after(async () => {
  await s.stop();
  for (const d of [marks, repo]) fs.rmSync(d, { recursive: true, force: true });
});

test('bin/bwrap, bin/setpriv, bin/ip, node_modules/.bin/bwrap in the app never start: build, release phase, dyno and one-off run sandboxed', { timeout: 240_000 }, async () => {
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: repo, timeoutMs: 180_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const releaseUid = assertSandboxed(b.stdout, 'release');
  const one = await cli(s, ['run', '-a', A, '--', 'sh probe.sh oneoff'], { cwd: repo });
  assert.equal(one.code, 0, one.stdout + one.stderr);
  assert.equal(assertSandboxed(one.stdout, 'oneoff'), releaseUid, 'the release phase and one-offs of an app share its uid');
  const ps = await cli(s, ['ps', '-a', A]);
  assert.match(ps.stdout, /web\.1: up/, 'the web dyno booted through the real bubblewrap');
  assert.deepEqual(markers(marks), [], 'no launcher from the repository ever ran on the host');
  assert.ok(!fs.readdirSync(marks).some((f) => f.startsWith('from-sandbox-')), 'nothing inside wrote the host folder');
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('LD_PRELOAD and LD_LIBRARY_PATH from config vars and run --env reach only the sandboxed command, never a launcher', { timeout: 180_000 }, async () => {
  const canary = `cmdline-canary-${process.pid}-${Date.now()}`;
  const set = await cli(s, ['config:set', '-a', A, `LD_PRELOAD=${so}`, `LD_LIBRARY_PATH=${marks}`, `CANARY=${canary}`]);
  assert.equal(set.code, 0, set.stdout + set.stderr);
  const viaConfig = await cli(s, ['run', '-a', A, '--', 'sh probe.sh oneoff']);
  assert.equal(viaConfig.code, 0, viaConfig.stdout + viaConfig.stderr);
  const uid = assertSandboxed(viaConfig.stdout, 'oneoff');
  assert.match(viaConfig.stdout, new RegExp(`preloaded into \\S+ as uid ${uid}`), 'the config var did reach the command, as the tenant');
  const procs = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  const read = (f: string) => { try { return fs.readFileSync(f, 'latin1'); } catch { return ''; } };
  assert.ok(procs.some((p) => read(`/proc/${p}/environ`).includes(canary)), 'the web dyno has the config var in its environment');
  assert.deepEqual(procs.filter((p) => read(`/proc/${p}/cmdline`).includes(canary)), [], 'no config value is on any command line (world-readable)');
  assert.equal((await cli(s, ['config:unset', '-a', A, 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'CANARY'])).code, 0);
  const viaEnv = await cli(s, ['run', '-a', A, '--env', `LD_PRELOAD=${so};LD_LIBRARY_PATH=${marks}`, '--', 'echo env-run-done']);
  assert.match(viaEnv.stdout, /preloaded into \S+ as uid \d+/, viaEnv.stdout + viaEnv.stderr);
  assert.deepEqual(markers(marks), [], 'the library was never loaded outside the sandbox (by bwrap, ip or setpriv)');
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('a CI run of the same repository: every step sandboxed under its own uid, nested user namespaces refused', { timeout: 240_000 }, async () => {
  assert.equal((await cli(s, ['pipelines:create', 'hostile-ci'])).code, 0);
  const r = await cli(s, ['ci:run', '-p', 'hostile-ci'], { cwd: repo, timeoutMs: 200_000 });
  const out = r.stdout + r.stderr;
  assert.equal(r.code, 0, out);
  const ciUid = assertSandboxed(out, 'test');
  assert.match(out, /nested user namespace refused/);
  assert.doesNotMatch(out, /NESTED-USERNS-OK/);
  const app = await cli(s, ['run', '-a', A, '--', 'sh probe.sh oneoff']);
  assert.notEqual(ciUid, tenantUid(app.stdout, 'oneoff'), 'a test run and an app never share a uid');
  assert.deepEqual(markers(marks), []);
  assert.ok(fs.existsSync(path.join(marks, 'evil.so')));
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});
