import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { allowedFolder } from './prepare.js';
import { loadConfig, ConfigError } from '../config.js';
import { BUILTIN_DIR } from './builtin.js';

test('a host folder is allowed only inside a listed folder, links resolved', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'bp-allowed-'));
  const listed = path.join(base, 'listed');
  fs.mkdirSync(path.join(listed, 'bp'), { recursive: true });
  fs.mkdirSync(path.join(base, 'elsewhere'));
  fs.symlinkSync(path.join(base, 'elsewhere'), path.join(listed, 'escape'));
  assert.equal(allowedFolder(path.join(listed, 'bp'), [listed]), true);
  assert.equal(allowedFolder(listed, [listed]), true);
  assert.equal(allowedFolder(path.join(listed, 'escape'), [listed]), false, 'a link inside a listed folder that leads out');
  assert.equal(allowedFolder(`${listed}-sibling`, [listed]), false);
  assert.equal(allowedFolder(path.join(listed, '../elsewhere'), [listed]), false);
  assert.equal(allowedFolder('/etc', [listed]), false);
});

test('SLIPWAY_BUILDPACK_DIRS: default the built-in folder; absolute folders only; input limits in bytes', () => {
  const def = loadConfig({});
  assert.deepEqual(def.buildpackDirs, [BUILTIN_DIR]);
  assert.deepEqual(def.inputLimits, { compressedBytes: 500 * 1024 ** 2, unpackedBytes: 1024 ** 3, entries: 100_000, slugBytes: 500 * 1024 ** 2 });
  assert.deepEqual(loadConfig({ SLIPWAY_BUILDPACK_DIRS: '/opt/bps:/srv/bps/' }).buildpackDirs, ['/opt/bps', '/srv/bps']);
  assert.throws(() => loadConfig({ SLIPWAY_BUILDPACK_DIRS: '/opt/bps:relative/bps' }), (e) => e instanceof ConfigError && /SLIPWAY_BUILDPACK_DIRS: "relative\/bps" is not an absolute path/.test(e.message));
  assert.throws(() => loadConfig({ SLIPWAY_MAX_UNPACKED_MB: '0' }), ConfigError);
});
