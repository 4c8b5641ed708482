import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandGroupName, cpuWeight, oomKills, parentGroupName, prlimitArgs, v1Settings, v2Settings, workingSetBytes } from './cgroup-settings.js';

const limits = { memoryMb: 1024, pids: 256, cpuShares: 1024, diskMb: 2048 };

test('each data dir gets its own parent group; command groups are safe path names', () => {
  assert.match(parentGroupName('/var/lib/slipway'), /^slipway-[0-9a-f]{8}$/);
  assert.notEqual(parentGroupName('/a'), parentGroupName('/b'));
  assert.equal(parentGroupName('/a'), parentGroupName('/a'));
  assert.equal(commandGroupName('dyno-abc-web-1/3'), 'dyno-abc-web-1_3');
  assert.equal(commandGroupName('../../x'), '.._.._x');
});

test('cgroup v1 files: memory (and memsw when swap is accounted), pids, cpu shares', () => {
  assert.deepEqual(v1Settings(limits, { memsw: true }), {
    memory: [['memory.limit_in_bytes', '1073741824'], ['memory.memsw.limit_in_bytes', '1073741824']],
    pids: [['pids.max', '256']], cpu: [['cpu.shares', '1024']],
  });
  assert.deepEqual(v1Settings(limits, { memsw: false }).memory, [['memory.limit_in_bytes', '1073741824']]);
});

test('cgroup v2 files; cpu weight proportional to shares and clamped', () => {
  assert.deepEqual(v2Settings(limits), [['memory.max', '1073741824'], ['memory.swap.max', '0'], ['pids.max', '256'], ['cpu.weight', '100']]);
  assert.equal(cpuWeight(2048), 200);
  assert.equal(cpuWeight(1), 1);
  assert.equal(cpuWeight(50 * 1024), 5000);
  assert.equal(cpuWeight(262_144), 10_000);
});

test('rlimits: file size always; address space and processes only without cgroups', () => {
  assert.deepEqual(prlimitArgs(limits, { cgroups: true, ownUid: true }), ['--fsize=2147483648']);
  assert.deepEqual(prlimitArgs(limits, { cgroups: false, ownUid: true }), ['--fsize=2147483648', '--as=1073741824', '--nproc=256']);
  assert.deepEqual(prlimitArgs(limits, { cgroups: false, ownUid: false }), ['--fsize=2147483648', '--as=1073741824']);
});

test('the working set leaves out inactive page cache; OOM kills are counted', () => {
  assert.equal(workingSetBytes(1000, 'cache 10\ntotal_inactive_file 300\n', 'total_inactive_file'), 700);
  assert.equal(workingSetBytes(1000, 'anon 5\ninactive_file 2000\n', 'inactive_file'), 0);
  assert.equal(workingSetBytes(1000, '', 'inactive_file'), 1000);
  assert.equal(oomKills('oom_kill_disable 0\nunder_oom 0\noom_kill 2\n'), 2);
  assert.equal(oomKills('low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n'), 1);
  assert.equal(oomKills('oom_kill_disable 0\n'), 0);
});
