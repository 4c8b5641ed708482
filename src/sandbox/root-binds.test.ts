import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rootBinds, type TreeReader } from './root-binds.js';

/** A made-up host: folders map to their entries; links and files by name. */
const tree = (dirs: Record<string, string[]>, links: Record<string, string> = {}): TreeReader => ({
  list: (d) => dirs[d] ?? [],
  kind: (f) => (f in links ? { type: 'link', target: links[f]! } : f in dirs ? { type: 'dir' } : { type: 'other' }),
});

const host = tree({
  '/': ['bin', 'dev', 'etc', 'proc', 'run', 'tmp', 'root', 'usr', 'var', 'vmlinuz'],
  '/etc': [], '/usr': [], '/var': ['cache', 'lib', 'log'], '/var/lib': ['apt', 'slipway'], '/var/lib/slipway': ['workspaces'],
}, { '/bin': 'usr/bin' });

test('top-level entries bound read-only; /proc, /dev, /tmp, /run, /root left for fresh mounts; links kept as links', () => {
  assert.deepEqual(rootBinds([], host), [
    '--symlink', 'usr/bin', '/bin', '--ro-bind', '/etc', '/etc', '--ro-bind', '/usr', '/usr', '--ro-bind', '/var', '/var', '--ro-bind', '/vmlinuz', '/vmlinuz',
  ]);
});

test('a hidden data folder: its parents are walked, only their other entries bound, nothing under it', () => {
  const args = rootBinds(['/var/lib/slipway'], host);
  assert.deepEqual(args.slice(args.lastIndexOf('/usr') + 1), [
    '--dir', '/var', '--ro-bind', '/var/cache', '/var/cache', '--dir', '/var/lib', '--ro-bind', '/var/lib/apt', '/var/lib/apt', '--ro-bind', '/var/log', '/var/log',
    '--ro-bind', '/vmlinuz', '/vmlinuz',
  ]);
  assert.ok(!args.some((a) => a.startsWith('/var/lib/slipway')));
});

test('a hidden folder under /tmp (left out anyway) or / itself changes nothing; a trailing slash is the same folder', () => {
  assert.deepEqual(rootBinds(['/tmp/slipway-x', '/'], host), rootBinds([], host));
  assert.deepEqual(rootBinds(['/var/lib/slipway/'], host), rootBinds(['/var/lib/slipway'], host));
});
