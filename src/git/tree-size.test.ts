import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLsTree, treeOverLimit } from './tree-size.js';

const out = [
  '040000 tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904       -\tsrc',
  '100644 blob e69de29bb2d1d6434b8b29ae775ad8c2e48c5391 4294967296\tsrc/zeros.bin',
  '120000 blob 1234567890123456789012345678901234567890      11\tlink',
  '',
].join('\0');

test('ls-tree records: every entry counted, blob sizes summed with a tar header each', () => {
  assert.deepEqual(parseLsTree(out), { entries: 3, bytes: 4294967296 + 512 + 11 + 512 });
});

test('over the unpacked or entry limit → a message naming the setting; within → undefined', () => {
  const size = parseLsTree(out);
  assert.match(treeOverLimit('Commit abc1234', size, { unpackedBytes: 1024 ** 3, entries: 10 })!, /^Commit abc1234 unpacks to 4096 MB; the limit is 1024 MB \(SLIPWAY_MAX_UNPACKED_MB\)/);
  assert.match(treeOverLimit('Commit abc1234', size, { unpackedBytes: 8 * 1024 ** 3, entries: 2 })!, /has 3 files and folders; the limit is 2 \(SLIPWAY_MAX_SOURCE_ENTRIES\)/);
  assert.equal(treeOverLimit('Commit abc1234', size, { unpackedBytes: 8 * 1024 ** 3, entries: 3 }), undefined);
});
