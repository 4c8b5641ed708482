// The launcher never carries the tenant's environment: not in its own environment, not in argv
// (/proc/PID/cmdline is world-readable); only in the fd-3 payload the sandboxed command receives.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { launcher, type LaunchSpec } from './launcher.js';
import { HOST_ENV } from './host-tools.js';

const tenantEnv = { PATH: '/ws/app/bin:/usr/bin', LD_PRELOAD: '/ws/app/evil.so', LD_LIBRARY_PATH: '/ws/app/lib', DATABASE_URL: 'postgres://u:s3cret@h/db' };
const spec = (over: Partial<LaunchSpec>): LaunchSpec => ({
  mode: 'bwrap', argv: ['bash', '-c', 'true'], cwd: '/ws/app', hidden: [], writable: ['/ws'], readable: [], env: { ...tenantEnv, SLIPWAY_SANDBOX_ID: 'm/1' }, marker: 'm/1', ids: { uid: 200_001, gid: 200_001 }, ...over,
});

for (const [name, over] of [['bwrap', {}], ['bwrap in a space', { netns: 'slw-ns' }], ['process in a space', { mode: 'process', netns: 'slw-ns' }]] as Array<[string, Partial<LaunchSpec>]>) {
  test(`${name}: absolute launcher, fixed environment, tenant values only on fd 3`, () => {
    const l = launcher(spec(over));
    assert.ok(path.isAbsolute(l.cmd), l.cmd);
    assert.deepEqual(l.env, { ...HOST_ENV, SLIPWAY_SANDBOX_ID: 'm/1' });
    for (const v of Object.values(tenantEnv)) assert.ok(!l.args.some((a) => a.includes(v)), `${v} is not in argv`);
    const fd3 = l.fd3!.toString();
    for (const v of Object.values(tenantEnv)) assert.ok(fd3.includes(v), `${v} reaches the command`);
    if (over.netns) {
      assert.equal(l.asTenant, false, 'root starts ip, setpriv drops to the tenant');
      assert.ok(l.args.includes('--reuid=200001') && path.isAbsolute(l.args[l.args.indexOf('exec') + 2]!), l.args.join(' '));
    } else assert.equal(l.asTenant, true);
  });
}

test('process mode without a space: the command itself starts as the tenant with its own environment', () => {
  const l = launcher(spec({ mode: 'process' }));
  assert.deepEqual([l.cmd, l.asTenant, l.fd3], ['bash', true, undefined]);
  assert.equal(l.env['LD_PRELOAD'], tenantEnv.LD_PRELOAD);
});

test('a NUL byte in a value is refused (it would split bwrap\'s argument list)', () => {
  assert.throws(() => launcher(spec({ env: { X: 'a\0--bind' } })), /NUL byte/);
});
