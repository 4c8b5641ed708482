// In a private space root itself starts the launcher (`ip netns exec … setpriv … bwrap`): a
// repository's bin/setpriv or bin/ip, or an LD_PRELOAD config var, must never run as root there.
// One space of its own (10.232.0.0/16), nothing else of the spaces suites.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startServer, cli, type TestServer } from '../helpers/server.js';
import { needs } from '../helpers/tools.js';
import { hostileRepo, markerDir, markers, preloadLibrary } from './identity-fixtures.js';

const skip = needs('spaces');
let s: TestServer;
let marks: string;
let repo: string;
let so: string;
const SPACE = 'id-space';
const A = 'id-space-app';

before(async () => {
  if (skip) return;
  marks = markerDir();
  so = preloadLibrary(marks);
  repo = hostileRepo(marks);
  s = await startServer({ SLIPWAY_SANDBOX: 'bwrap', SLIPWAY_BOOT_TIMEOUT_SECONDS: '30' });
});
after(async () => {
  if (skip) return;
  await s.stop();
  for (const d of [marks, repo]) fs.rmSync(d, { recursive: true, force: true });
});

test('in a space, bin/setpriv, bin/ip and LD_PRELOAD never run as root; the release phase, dyno and one-off run sandboxed as the app', { skip, timeout: 300_000 }, async () => {
  const made = await cli(s, ['spaces:create', SPACE, '--cidr', '10.232.0.0/16']);
  assert.equal(made.code, 0, made.stdout + made.stderr);
  assert.equal((await cli(s, ['apps:create', A, '--space', SPACE])).code, 0);
  assert.equal((await cli(s, ['config:set', '-a', A, `LD_PRELOAD=${so}`, `LD_LIBRARY_PATH=${marks}`])).code, 0);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: repo, timeoutMs: 240_000 });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const one = await cli(s, ['run', '-a', A, '--', 'sh probe.sh oneoff']);
  const out = b.stdout + one.stdout;
  assert.doesNotMatch(out, /HIJACKED/, out);
  const uids = [...out.matchAll(/probe (?:release|oneoff) uid=(\d+)/g)].map((m) => Number(m[1]));
  assert.equal(uids.length, 2, out);
  assert.ok(uids.every((u) => u !== 0 && u === uids[0]), `release phase and one-off run as the app's uid: ${uids.join(', ')}`);
  assert.match(one.stdout, /host path not writable/);
  assert.match(one.stdout, new RegExp(`preloaded into \\S+ as uid ${uids[0]}`), 'the config var reached the command inside the sandbox');
  assert.deepEqual(markers(marks), [], 'nothing of the repository and no preloaded library ran outside the sandbox (as root or otherwise)');
  assert.equal((await fetch(`${s.url}/health`)).status, 200);

  assert.equal((await cli(s, ['apps:destroy', '-a', A, '--confirm', A])).code, 0);
  assert.equal((await cli(s, ['spaces:destroy', SPACE, '--confirm', SPACE])).code, 0);
});
