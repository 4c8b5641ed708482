import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imagesToDetach, isUnder, mountPoints } from './mount-table.js';

test('isUnder: the folder itself and what lies inside, never a sibling with the same prefix', () => {
  assert.ok(isUnder('/d/ws/a', '/d/ws'));
  assert.ok(isUnder('/d/ws', '/d/ws'));
  assert.ok(isUnder('/d/ws/a', '/d/ws/'));
  assert.ok(!isUnder('/d/ws-other/a', '/d/ws'));
  assert.ok(!isUnder('/d', '/d/ws'));
});

test('mountPoints: field 5 of mountinfo, with octal escapes undone', () => {
  const info = [
    '22 1 253:1 / / rw,relatime shared:1 - ext4 /dev/vda rw',
    '43 27 7:0 / /srv/data/workspaces/build-1 rw,nosuid,nodev,noatime - ext4 /dev/loop0 rw',
    '44 27 7:1 / /srv/my\\040data/ws/x\\134y rw - ext4 /dev/loop1 rw',
    '',
  ].join('\n');
  assert.deepEqual(mountPoints(info), ['/', '/srv/data/workspaces/build-1', '/srv/my data/ws/x\\y']);
});

test('imagesToDetach: loop devices backed by images in the folder, deleted ones too, nothing else', () => {
  const raw = [
    '/dev/loop0 /srv/data/disks/build-1.img',
    '/dev/loop1 /srv/data/disks/dyno-2.img\\x20(deleted)',
    '/dev/loop2 /srv/data/disks-other/x.img',
    '/dev/loop3 /var/lib/snapd/snaps/core.snap',
    '/dev/loop4 /srv/my\\x20data/disks/y.img',
    '',
  ].join('\n');
  assert.deepEqual(imagesToDetach(raw, '/srv/data/disks'), ['/dev/loop0', '/dev/loop1']);
  assert.deepEqual(imagesToDetach(raw, '/srv/my data/disks'), ['/dev/loop4']);
});
