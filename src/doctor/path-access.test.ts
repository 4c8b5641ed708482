import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedToOthers, nearestExisting, openCommand, type PathStat } from './path-access.js';

const fsOf = (modes: Record<string, number>) => (p: string): PathStat | undefined =>
  modes[p] === undefined ? undefined : { mode: modes[p]!, isDirectory: true };

test('a checkout under /root (0700): /root is the one directory others cannot enter', () => {
  const stat = fsOf({ '/': 0o755, '/root': 0o700, '/root/slipway': 0o755 });
  assert.deepEqual(closedToOthers('/root/slipway', stat), ['/root']);
});

test('every closed directory on the way is named, from the top; o+x alone (0711) is enough', () => {
  const stat = fsOf({ '/': 0o755, '/srv': 0o750, '/srv/a': 0o711, '/srv/a/b': 0o700 });
  assert.deepEqual(closedToOthers('/srv/a/b', stat), ['/srv', '/srv/a/b']);
});

test('directories that do not exist yet are not counted (they are created traversable)', () => {
  const stat = fsOf({ '/': 0o755, '/tmp': 0o1777 });
  assert.deepEqual(closedToOthers('/tmp/new/data', stat), []);
  assert.equal(nearestExisting('/tmp/new/data', stat), '/tmp');
  assert.equal(nearestExisting('/tmp', stat), '/tmp');
});

test('the fix is one pasteable command, quoting odd names', () => {
  assert.equal(openCommand(['/root', '/home/a b']), `chmod o+x /root '/home/a b'`);
});
