import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cacheChanged, identityOf, sameIdentity } from './overlay-changes.js';

/** lower, upper and merged folders laid out from `spec` (path → file text, or null for a folder). */
function layers(spec: { lower: Record<string, string | null>; upper: Record<string, string | null>; merged: Record<string, string | null> }): { lower: string; upper: string; merged: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'overlay-changes-'));
  const out = { lower: path.join(root, 'lower'), upper: path.join(root, 'upper'), merged: path.join(root, 'merged') };
  for (const [k, tree] of Object.entries(spec) as Array<[keyof typeof out, Record<string, string | null>]>) {
    fs.mkdirSync(out[k]);
    for (const [p, body] of Object.entries(tree)) {
      if (body === null) fs.mkdirSync(path.join(out[k], p), { recursive: true });
      else { fs.mkdirSync(path.dirname(path.join(out[k], p)), { recursive: true }); fs.writeFileSync(path.join(out[k], p), body); }
    }
  }
  return out;
}

const base = { 'nodejs/npm-cache/a': 'a', 'nodejs/key': 'k' };

test('an empty upper folder, or one with folders only copied up, is no change', () => {
  const none = layers({ lower: base, upper: {}, merged: base });
  assert.equal(cacheChanged(none.upper, none.lower, none.merged), false);
  const copiedUp = layers({ lower: base, upper: { 'nodejs/npm-cache': null }, merged: base });
  assert.equal(cacheChanged(copiedUp.upper, copiedUp.lower, copiedUp.merged), false);
});

test('a file, a link, a new folder or an opaque folder in upper is a change', () => {
  const file = layers({ lower: base, upper: { 'nodejs/key': 'k2' }, merged: { ...base, 'nodejs/key': 'k2' } });
  assert.equal(cacheChanged(file.upper, file.lower, file.merged), true);
  const link = layers({ lower: base, upper: { nodejs: null }, merged: base });
  fs.symlinkSync('/etc', path.join(link.upper, 'nodejs', 'l'));
  assert.equal(cacheChanged(link.upper, link.lower, link.merged), true);
  const newDir = layers({ lower: base, upper: { 'nodejs/new': null }, merged: { ...base, 'nodejs/new': null } });
  assert.equal(cacheChanged(newDir.upper, newDir.lower, newDir.merged), true);
  // Deleted and made again: the merged folder no longer lists what the lower one has.
  const opaque = layers({ lower: base, upper: { 'nodejs/npm-cache': null }, merged: { 'nodejs/npm-cache': null, 'nodejs/key': 'k' } });
  assert.equal(cacheChanged(opaque.upper, opaque.lower, opaque.merged), true);
});

test('a folder is known by its device and inode: a link or another folder in its place is not it', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'overlay-id-'));
  const rw = path.join(dir, 'rw');
  fs.mkdirSync(rw);
  const id = identityOf(rw);
  assert.equal(sameIdentity(rw, id), true);
  fs.renameSync(rw, path.join(dir, 'moved'));
  fs.symlinkSync(path.join(dir, 'moved'), rw);
  assert.equal(sameIdentity(rw, id), false, 'a link to it');
  fs.rmSync(rw);
  fs.mkdirSync(rw);
  assert.equal(sameIdentity(rw, id), false, 'a new folder of the same name');
});
