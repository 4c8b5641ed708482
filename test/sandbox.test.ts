// The sandbox with real processes: one result shape, tree kill on timeout and cancel, isolation.
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createSandbox, type Sandbox } from '../src/sandbox/sandbox.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let n = 0;
const dataDirs: string[] = [];
after(() => { for (const d of dataDirs) fs.rmSync(d, { recursive: true, force: true }); });

function setup(mode: 'bwrap' | 'process'): { sb: Sandbox; work: string; secret: string; marker: string } {
  const data = tempDir('slipway-sbdata-');
  dataDirs.push(data);
  fs.chmodSync(data, 0o711);
  const secret = path.join(data, 'slipway.db');
  fs.writeFileSync(secret, 'secret', { mode: 0o600 });
  const sb = createSandbox({ mode, userName: 'nobody', hidden: [data], graceMs: 500 });
  const work = path.join(data, `ws${++n}`);
  sb.ownedDir(work);
  return { sb, work, secret, marker: `sandbox-test-${process.pid}-${n}` };
}

const run = (sb: Sandbox, work: string, marker: string, script: string, extra: Partial<Parameters<Sandbox['run']>[0]> = {}) => {
  let out = '';
  return sb.run({ argv: ['bash', '-c', script], cwd: work, env: { PATH: '/usr/bin:/bin', HOME: work }, writable: [work], marker, onStdout: (c) => { out += c; }, onStderr: (c) => { out += c; }, ...extra })
    .then((r) => ({ ...r, out }));
};

for (const mode of ['bwrap', 'process'] as const) {
  describe(`sandbox (${mode})`, () => {
    const skip = mode === 'bwrap' ? needs('bwrap') : false;

    test('exit code, output and reason in one shape', { skip, timeout: 30_000 }, async () => {
      const { sb, work, marker } = setup(mode);
      const ok = await run(sb, work, marker, 'echo hello; echo oops >&2');
      assert.equal(ok.exitCode, 0);
      assert.equal(ok.reason, 'exited');
      assert.match(ok.out, /hello/);
      assert.match(ok.out, /oops/);
      const bad = await run(sb, work, marker, 'exit 3');
      assert.deepEqual([bad.exitCode, bad.reason, bad.timedOut, bad.isCanceled], [3, 'exited', false, false]);
    });

    test('a timeout kills the whole tree, children and grandchildren included', { skip, timeout: 30_000 }, async () => {
      const { sb, work, marker } = setup(mode);
      const r = await run(sb, work, marker, 'sleep 300 & (sleep 301 &) ; sleep 302', { timeoutMs: 500 });
      assert.equal(r.reason, 'timed-out');
      assert.equal(r.timedOut, true);
      assert.deepEqual(findMarkedProcesses((m) => m === marker), []);
    });

    test('a process that ignores SIGTERM is SIGKILLed after the grace period', { skip, timeout: 30_000 }, async () => {
      const { sb, work, marker } = setup(mode);
      const r = await run(sb, work, marker, 'trap "" TERM; sleep 300 & wait', { timeoutMs: 300 });
      assert.equal(r.reason, 'timed-out');
      assert.deepEqual(findMarkedProcesses((m) => m === marker), []);
    });

    test('cancel stops it and says so', { skip, timeout: 30_000 }, async () => {
      const { sb, work, marker } = setup(mode);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 200);
      const r = await run(sb, work, marker, 'sleep 300', { signal: ac.signal });
      assert.equal(r.reason, 'cancelled');
      assert.equal(r.isCanceled, true);
    });

    test('background processes left by a finished command are cleaned up', { skip, timeout: 30_000 }, async () => {
      const { sb, work, marker } = setup(mode);
      const r = await run(sb, work, marker, 'setsid sleep 300 >/dev/null 2>&1 & echo done');
      assert.equal(r.exitCode, 0);
      const deadline = Date.now() + 2000;
      while (findMarkedProcesses((m) => m === marker).length && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(findMarkedProcesses((m) => m === marker), []);
    });

    test('only the given environment is seen; never root', { skip, timeout: 30_000 }, async () => {
      const { sb, work, marker } = setup(mode);
      // A secret in the server's own environment must not reach the command.
      process.env['SLIPWAY_TEST_HOST_SECRET'] = 'host-secret-value';
      let r: Awaited<ReturnType<typeof run>>;
      try { r = await run(sb, work, marker, 'env | sort; id -u'); } finally { delete process.env['SLIPWAY_TEST_HOST_SECRET']; }
      assert.doesNotMatch(r.out, /host-secret-value/);
      const names = r.out.trim().split('\n').slice(0, -1).map((l) => l.split('=')[0]);
      // What was given (PATH, HOME), the sandbox's id, and what bash and env set themselves.
      assert.deepEqual(names, ['HOME', 'PATH', 'PWD', 'SHLVL', 'SLIPWAY_SANDBOX_ID', '_'], r.out);
      const uid = Number(r.out.trim().split('\n').at(-1));
      assert.notEqual(uid, 0);
      assert.equal(uid, sb.user.uid);
    });

    test('a command that does not exist fails to start with a reason', { skip, timeout: 30_000 }, async () => {
      const { sb, work, marker } = setup(mode);
      let out = '';
      const r = await sb.run({ argv: ['/nonexistent/cmd'], cwd: work, env: {}, writable: [work], marker, onStderr: (c) => { out += c; } });
      assert.notEqual(r.exitCode, 0);
      // The reason names the command: the spawn error, or bubblewrap's own line when it is the launcher.
      if (r.reason === 'spawn-failed') assert.match(r.error ?? '', /\/nonexistent\/cmd ENOENT/);
      else assert.match(out, /execvp \/nonexistent\/cmd: No such file or directory/);
    });
  });
}

describe('isolation under bubblewrap', () => {
  const skip = needs('bwrap');
  test('the data folder is invisible, the host is read-only, the workspace is writable, no capabilities', { skip, timeout: 30_000 }, async () => {
    const { sb, work, secret, marker } = setup('bwrap');
    assert.equal(sb.mode, 'bwrap');
    const r = await run(sb, work, marker, `
      ls ${path.dirname(secret)} | grep -c slipway.db || true
      cat ${secret} 2>/dev/null && echo READ-SECRET
      touch /usr/local/escape 2>/dev/null && echo WROTE-HOST
      mkdir /escape 2>/dev/null && echo WROTE-ROOT
      touch ${work}/ok && echo WROTE-WORKSPACE
      grep CapEff /proc/self/status
      ps -e --no-headers | wc -l`);
    assert.doesNotMatch(r.out, /READ-SECRET|WROTE-HOST|WROTE-ROOT/);
    assert.match(r.out, /WROTE-WORKSPACE/);
    assert.match(r.out, /CapEff:\s+0000000000000000/);
    assert.ok(Number(r.out.trim().split('\n').at(-1)) < 10, 'own pid namespace: only its own processes are visible');
  });
});
