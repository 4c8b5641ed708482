import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exitCodeOf, procStartTime } from './adopted.js';
import { bwrapOptions } from './bwrap.js';
import type { TreeReader } from './root-binds.js';

test('the exit code is read from bubblewrap\'s JSON status documents; none written (bwrap killed) is null', { timeout: 5000 }, () => {
  assert.equal(exitCodeOf('{ "child-pid": 12, "pid-namespace": 4026532935 }\n{ "exit-code": 137 }\n'), 137);
  assert.equal(exitCodeOf('{ "child-pid": 12 }\n{ "exit-code": 0 }'), 0);
  assert.equal(exitCodeOf('{ "child-pid": 12 }\n'), null);
  assert.equal(exitCodeOf('{ "child-pid": 12 }\n{ "exit-co'), null, 'a document cut short');
  assert.equal(exitCodeOf(''), null);
});

test('an outliving command has no --die-with-parent and asks for its status on the fd; others keep --die-with-parent', { timeout: 5000 }, () => {
  const base = { hidden: [], writable: [], readable: [], cwd: '/', env: {} };
  const tree: TreeReader = { list: () => [], kind: () => undefined };
  const plain = bwrapOptions(base, tree);
  assert.ok(plain.includes('--die-with-parent'));
  assert.ok(!plain.includes('--json-status-fd'));
  const outliving = bwrapOptions({ ...base, statusFd: 6 }, tree);
  assert.ok(!outliving.includes('--die-with-parent'));
  assert.deepEqual(outliving.slice(outliving.indexOf('--json-status-fd'), outliving.indexOf('--json-status-fd') + 2), ['--json-status-fd', '6']);
});

test('a process\'s start time identifies it (a pid reused later has another); a pid that does not run has none', { timeout: 5000 }, () => {
  const mine = procStartTime(process.pid);
  assert.match(mine ?? '', /^\d+$/);
  assert.equal(procStartTime(process.pid), mine);
  assert.equal(procStartTime(2 ** 22 + 1), undefined);
});
