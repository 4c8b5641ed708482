import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { treeFingerprint } from './tree-fingerprint.js';

const tree = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-fp-'));
  fs.mkdirSync(path.join(d, 'a/b'), { recursive: true });
  fs.writeFileSync(path.join(d, 'a/b/f'), 'one');
  fs.symlinkSync('a/b/f', path.join(d, 'link'));
  return d;
};

test('the same tree gives the same fingerprint; a temporary file that came and went changes nothing', () => {
  const d = tree();
  const before = treeFingerprint(d);
  fs.writeFileSync(path.join(d, 'a/tmp'), 'x');
  fs.rmSync(path.join(d, 'a/tmp'));
  assert.equal(treeFingerprint(d), before);
});

test('a new file, a rewritten file, a changed mode and a retargeted link each change the fingerprint', () => {
  const d = tree();
  const seen = new Set([treeFingerprint(d)]);
  fs.writeFileSync(path.join(d, 'a/new'), '');
  seen.add(treeFingerprint(d));
  fs.writeFileSync(path.join(d, 'a/b/f'), 'two');
  fs.utimesSync(path.join(d, 'a/b/f'), new Date(1000), new Date(2000));
  seen.add(treeFingerprint(d));
  fs.chmodSync(path.join(d, 'a/b/f'), 0o600);
  seen.add(treeFingerprint(d));
  fs.rmSync(path.join(d, 'link'));
  fs.symlinkSync('a', path.join(d, 'link'));
  seen.add(treeFingerprint(d));
  assert.equal(seen.size, 5);
});

test('a link to a folder is not followed, and a link in place of the folder has no fingerprint', () => {
  const d = tree();
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-fp-out-'));
  fs.symlinkSync(outside, path.join(d, 'out'));
  const before = treeFingerprint(d);
  fs.writeFileSync(path.join(outside, 'secret'), 'x');
  assert.equal(treeFingerprint(d), before);
  assert.equal(treeFingerprint(path.join(d, 'out')), undefined);
});
