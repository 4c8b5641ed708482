// Resource limits on real processes: each command in a cgroup of its own under its server's
// parent, gone when it ends; a killed server's leftovers swept at the next start; rlimits when
// cgroups cannot be used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { createLimiter } from '../src/sandbox/cgroups.js';
import { parentGroupName } from '../src/sandbox/cgroup-settings.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

const root = process.getuid?.() === 0;
const limits = { memoryMb: 128, pids: 32, cpuShares: 512, diskMb: 64 };

function sandboxIn(dataDir: string) {
  fs.chmodSync(dataDir, 0o711);
  const limiter = createLimiter({ dataDir, ownUid: root });
  const sb = createSandbox({ mode: 'auto', userName: 'nobody', hidden: [], graceMs: 500, limiter });
  const work = path.join(dataDir, 'ws');
  sb.ownedDir(work);
  const run = async (script: string) => {
    let out = '';
    const r = await sb.run({ argv: ['bash', '-c', script], cwd: work, env: { PATH: '/usr/bin:/bin' }, writable: [work], marker: `cg-test-${process.pid}`, limits, timeoutMs: 30_000, onStdout: (c) => { out += c; }, onStderr: (c) => { out += c; } });
    return { ...r, out };
  };
  return { limiter, run, sb, work };
}

test('cgroups v1: the command runs in its own group under this server\'s parent, with its limits, and the group is removed', { skip: needs('cgroups'), timeout: 30_000 }, async () => {
  const data = tempDir('slipway-cg-');
  const { limiter, run } = sandboxIn(data);
  try {
    assert.match(limiter.summary, /^resource limits: cgroups v1 \(memory, pids, cpu\)/);
    const parent = parentGroupName(data);
    const r = await run('cat /proc/self/cgroup; d=/sys/fs/cgroup; g=$(grep :memory: /proc/self/cgroup | cut -d: -f3); cat $d/memory$g/memory.limit_in_bytes $d/pids$g/pids.max $d/cpu$g/cpu.shares; ulimit -f');
    assert.equal(r.exitCode, 0, r.out);
    for (const c of ['memory', 'pids', 'cpu']) assert.match(r.out, new RegExp(`:${c}:/${parent}/cg-test-\\d+_\\d+\\n`));
    assert.match(r.out, /\n134217728\n32\n512\n65536\n$/, 'memory, pids, cpu shares and RLIMIT_FSIZE (in KB)');
    for (const c of ['memory', 'pids', 'cpu']) assert.deepEqual(fs.readdirSync(`/sys/fs/cgroup/${c}/${parent}`, { withFileTypes: true }).filter((e) => e.isDirectory()), [], 'no group left');
    const other = createLimiter({ dataDir: data + '-other', ownUid: true });
    assert.notEqual(parentGroupName(data + '-other'), parent, 'another server has its own parent');
    other.close();
  } finally { limiter.close(); }
  assert.ok(!fs.existsSync(`/sys/fs/cgroup/memory/${parentGroupName(data)}`), 'close removes the parent');
});

test('a running command\'s memory and CPU time are read from its groups (the app\'s metrics)', { skip: needs('cgroups'), timeout: 30_000 }, async () => {
  const data = tempDir('slipway-cg-');
  const { limiter, sb, work } = sandboxIn(data);
  try {
    const busy = sb.start({ argv: ['bash', '-c', 'x=$(head -c 20000000 /dev/zero | tr "\\0" a); while :; do :; done'], cwd: work, env: { PATH: '/usr/bin:/bin' }, writable: [work], marker: `cg-busy-${process.pid}`, limits, timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1500));
    const cpu = busy.cpuMs();
    assert.ok(cpu !== undefined && cpu > 300, `a busy loop for 1.5 s used CPU time: ${cpu} ms`);
    assert.ok((busy.memoryBytes() ?? 0) > 10 * 1048576, `it holds its 20 MB string: ${busy.memoryBytes()}`);
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(busy.cpuMs()! > cpu, 'the count grows');
    await busy.stop(100);
  } finally { limiter.close(); }
});

test('a killed server\'s leftover groups are swept at the next start, killing what is still in them', { skip: needs('cgroups'), timeout: 30_000 }, async () => {
  const data = tempDir('slipway-cg-');
  const first = createLimiter({ dataDir: data, ownUid: true });
  const leftover = first.forCommand('dyno-left/1', limits);
  const sleeper = spawn('/bin/sh', ['-c', 'sleep 60'], { stdio: 'ignore' });
  const exited = new Promise((r) => sleeper.once('exit', r));
  try {
    fs.writeFileSync(`/sys/fs/cgroup/memory/${parentGroupName(data)}/dyno-left_1/cgroup.procs`, String(sleeper.pid));
    assert.ok(leftover.memoryBytes() !== undefined);
    // The server dies here without releasing; a new one starts on the same data dir.
    const second = createLimiter({ dataDir: data, ownUid: true });
    assert.equal(second.sweep(), 1);
    await exited;
    assert.ok(!fs.existsSync(`/sys/fs/cgroup/memory/${parentGroupName(data)}/dyno-left_1`));
  } finally {
    sleeper.kill('SIGKILL');
    first.close();
  }
});

test('without root: rlimits only, and the start-up line says so', { timeout: 30_000 }, async () => {
  // As root, a server of its own runs as nobody (the fallback every non-root operator gets).
  const data = tempDir('slipway-cg-');
  try {
    if (root) fs.chownSync(data, 65534, 65534);
    const here = path.dirname(fileURLToPath(import.meta.url));
    const child = `const { createLimiter } = await import(${JSON.stringify(pathToFileURL(path.join(here, '../src/sandbox/cgroups.js')).href)});
      const { createSandbox } = await import(${JSON.stringify(pathToFileURL(path.join(here, '../src/sandbox/sandbox.js')).href)});
      const limiter = createLimiter({ dataDir: process.argv[1], ownUid: false });
      const sb = createSandbox({ mode: 'process', userName: 'nobody', hidden: [], graceMs: 500, limiter });
      let out = '';
      await sb.run({ argv: ['bash', '-c', 'ulimit -v; ulimit -f'], cwd: process.argv[1], env: { PATH: '/usr/bin:/bin' }, writable: [process.argv[1]], marker: 'cg-test-nonroot', limits: ${JSON.stringify(limits)}, onStdout: (c) => { out += c; } });
      console.log(JSON.stringify({ summary: limiter.summary, out }));`;
    const p = spawn(process.execPath, ['--input-type=module', '-e', child, data], { stdio: ['ignore', 'pipe', 'inherit'], ...(root ? { uid: 65534, gid: 65534 } : {}) });
    let text = '';
    p.stdout.on('data', (c) => { text += c; });
    assert.equal(await new Promise((r) => p.on('close', r)), 0);
    const { summary, out } = JSON.parse(text) as { summary: string; out: string };
    assert.match(summary, /^rlimits only: address space, file size \(cgroups need the server to run as root\)/);
    assert.equal(out, '131072\n65536\n');
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});
