// bin/slipway-git-credential answers git's `get` as `slipway git:credential get` does, in sh for the
// plain cases (checked by giving it a "node" that fails: an answer then came from the script) and by
// the CLI for the rest.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin');
const NO_NODE = '/bin/false';

function ask(env: Record<string, string>, host = '127.0.0.1:5000', node = NO_NODE): string {
  const r = spawnSync('/bin/sh', [path.join(BIN, 'slipway-git-credential'), node, path.join(BIN, 'slipway.js')], {
    input: `protocol=http\nhost=${host}\npath=app.git\n\n`, env: { PATH: '/usr/bin:/bin', HOME: '/nonexistent', ...env }, encoding: 'utf8', timeout: 30_000,
  });
  return r.stdout;
}

test('the token of SLIPWAY_TOKEN or of the login file, for its server only, without Node.js', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cred-'));
  try {
    assert.equal(ask({ SLIPWAY_URL: 'http://127.0.0.1:5000/', SLIPWAY_TOKEN: 'env-token' }), 'username=slipway\npassword=env-token\n');
    assert.equal(ask({ SLIPWAY_URL: 'http://127.0.0.1:5001', SLIPWAY_TOKEN: 'env-token' }), '');
    // As `slipway login` writes it (saveCredentials).
    fs.writeFileSync(path.join(dir, 'credentials.json'), JSON.stringify({ url: 'http://127.0.0.1:5000', token: 'file-token' }, null, 2) + '\n');
    assert.equal(ask({ SLIPWAY_CONFIG_DIR: dir }), 'username=slipway\npassword=file-token\n');
    assert.equal(ask({ SLIPWAY_CONFIG_DIR: dir, SLIPWAY_TOKEN: 'env-token' }), 'username=slipway\npassword=env-token\n');
    assert.equal(ask({ SLIPWAY_CONFIG_DIR: dir }, 'example.com'), '');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('what the script does not read plainly goes to the CLI, which answers as before', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-cred-'));
  try {
    fs.writeFileSync(path.join(dir, 'credentials.json'), JSON.stringify({ url: 'http://127.0.0.1:5000', token: 'a"b\\c' }, null, 2) + '\n');
    assert.equal(ask({ SLIPWAY_CONFIG_DIR: dir }), '', 'an escaped value is not answered by the script');
    assert.equal(ask({ SLIPWAY_CONFIG_DIR: dir }, '127.0.0.1:5000', process.execPath), 'username=slipway\npassword=a"b\\c\n');
    fs.writeFileSync(path.join(dir, 'credentials.json'), '{"url":"http://127.0.0.1:5000","token":"compact"}');
    assert.equal(ask({ SLIPWAY_CONFIG_DIR: dir }, '127.0.0.1:5000', process.execPath), 'username=slipway\npassword=compact\n');
    // No URL anywhere: the CLI's default server (PORT) decides.
    assert.equal(ask({ SLIPWAY_CONFIG_DIR: path.join(dir, 'none'), SLIPWAY_TOKEN: 't', PORT: '5000' }, '127.0.0.1:5000', process.execPath), 'username=slipway\npassword=t\n');
    assert.equal(ask({ SLIPWAY_URL: 'http://Example.com', SLIPWAY_TOKEN: 't' }, 'Example.com', process.execPath), '', 'the CLI compares the host as URL makes it');
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
