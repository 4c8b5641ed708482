// A dyno's output tail and the agent's descriptors (the crash loop a loaded full-suite run found:
// `EBADF ... fstat` in a tail's timer ended the agent process, again after every restart). A dyno
// that crashed had its tail closed when its process ended; stopping it later (a new release, a
// scale-down, while it waited for its restart) closed the tail's number a second time, and by then
// that number was another file's: another dyno's output tail, whose next read threw.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { DynoManager, type DynoSpec } from '../src/runtime/dyno-manager.js';
import { DynoRecords } from '../src/runtime/dyno-records.js';
import { dynoSize } from '../src/core/dyno-size.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { tempDir } from './helpers/temp.js';
import { waitFor } from './helpers/runs.js';

const root = tempDir('slipway-dyno-fds-');
fs.chmodSync(root, 0o711);
const workRoot = path.join(root, 'work');
fs.mkdirSync(workRoot, { mode: 0o711 });
const app = path.join(root, 'app');
fs.mkdirSync(app);
fs.writeFileSync(path.join(app, 'hello.txt'), 'hello\n');
const slugFile = path.join(root, 'slug.tgz');
execFileSync('tar', ['-czf', slugFile, '-C', app, '.']);
fs.chmodSync(slugFile, 0o644);

const lines: string[] = [];
const manager = new DynoManager({
  sandbox: createSandbox({ mode: 'process', userName: 'nobody', hidden: [], graceMs: 1000 }),
  workRoot, bootTimeoutMs: 20_000, stopGraceMs: 1000, records: new DynoRecords(path.join(root, 'records')),
  log: (_app, source, line) => lines.push(`${source} ${line}`),
});
const spec = (id: string, name: string, command: string): DynoSpec => ({
  id, appId: 'fds-app', type: name.split('.')[0]!, name, command, size: dynoSize(undefined),
  release: { id: 'r1', version: 1, slugFile, config: {} },
});

after(async () => {
  await manager.shutdown();
  assert.deepEqual(findMarkedProcesses((m) => m.startsWith('dyno-fds-')), [], 'no dyno process left');
});

test('stopping a crashed dyno waiting for its restart closes nothing of anyone else\'s; a running dyno\'s output keeps coming', { timeout: 120_000 }, async () => {
  await manager.replace('fds-app', [spec('dyno-fds-talker', 'talker.1', 'cat hello.txt; while sleep 0.2; do echo tick; done')], []);
  const [talker] = manager.list('fds-app');
  await waitFor('the talker\'s output', async () => lines.some((l) => l === 'app[talker.1] tick'), 30_000);
  await manager.replace('fds-app', [spec('dyno-fds-crasher', 'crasher.1', 'echo boom; exit 1')], []);
  // Its restarts wait 1, 2, then 4 s: stopped while it waits (its tail closed when it crashed).
  await waitFor('the crasher\'s third crash', async () => lines.some((l) => /crasher\.1: state changed to crashed; restarting in 4 s/.test(l)), 60_000);
  const crasher = manager.list('fds-app').find((d) => d.name === 'crasher.1')!;
  // The lowest free numbers (the crashed tail's among them) go to files of someone else's.
  const others = Array.from({ length: 20 }, () => fs.openSync('/dev/null', 'r'));
  await manager.replace('fds-app', [], [crasher]);
  const closed = others.filter((fd) => { try { fs.fstatSync(fd); return false; } catch { return true; } });
  for (const fd of others) try { fs.closeSync(fd); } catch { /* closed under us */ }
  assert.deepEqual(closed, [], 'stopping the crashed dyno closed descriptors it did not own');
  // The running dyno's output still reaches the log.
  const before = lines.length;
  await waitFor('more of the talker\'s output', async () => lines.slice(before).some((l) => l === 'app[talker.1] tick'), 30_000);
  assert.ok(lines.includes('app[crasher.1] boom'), 'the crasher\'s output was read');
  assert.equal(lines.filter((l) => /reading its output|not read/.test(l)).length, 0, lines.join('\n'));
  assert.equal(talker!.state, 'up');
});
