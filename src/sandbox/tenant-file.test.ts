import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readTenantFile, tenantDir } from './tenant-file.js';

function workspace(): { root: string; app: string; outside: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'tenant-file-'));
  const root = path.join(base, 'ws');
  const outside = path.join(base, 'secret');
  fs.mkdirSync(path.join(root, 'app'), { recursive: true });
  fs.mkdirSync(outside);
  fs.writeFileSync(path.join(outside, 'Procfile'), 'web: secret');
  return { root, app: path.join(root, 'app'), outside };
}

const read = (ws: { root: string; app: string }, name: string, maxBytes = 1024) => readTenantFile(path.join(ws.app, name), ws.root, { maxBytes, label: name });

test('a regular file is read, an absent one is null, a link inside the app is followed', async () => {
  const ws = workspace();
  fs.writeFileSync(path.join(ws.app, 'Procfile.real'), 'web: node server.js\n');
  fs.symlinkSync('Procfile.real', path.join(ws.app, 'Procfile'));
  assert.deepEqual(await read(ws, 'Procfile'), { ok: true, text: 'web: node server.js\n' });
  assert.deepEqual(await read(ws, 'app.json'), { ok: true, text: null });
});

test('links out of the app, a linked parent folder, a FIFO, a device and a folder are refused by name', async () => {
  const ws = workspace();
  fs.symlinkSync(path.join(ws.outside, 'Procfile'), path.join(ws.app, 'Procfile'));
  fs.symlinkSync('/proc/self/environ', path.join(ws.app, 'app.json'));
  fs.symlinkSync(ws.outside, path.join(ws.app, 'conf'));
  fs.symlinkSync('/dev/zero', path.join(ws.app, 'zero'));
  fs.symlinkSync('/nonexistent/x', path.join(ws.app, 'dangling'));
  execFileSync('mkfifo', [path.join(ws.app, 'fifo')]);
  fs.mkdirSync(path.join(ws.app, 'dir'));
  const cases: [string, RegExp][] = [
    ['Procfile', /^Procfile is a symbolic link to a path outside the app; Slipway reads only regular files inside the app\.$/],
    ['app.json', /^app\.json is a symbolic link to a path outside the app/],
    ['conf/Procfile', /^conf\/Procfile is inside a folder that is a symbolic link to a path outside the app/],
    ['zero', /^zero is a symbolic link to a path outside the app/],
    ['dangling', /^dangling is a symbolic link to a path that does not exist/],
    ['fifo', /^fifo is a FIFO \(named pipe\)/],
    ['dir', /^dir is a folder/],
  ];
  for (const [name, re] of cases) {
    const r = await read(ws, name);
    assert.equal(r.ok, false, name);
    if (!r.ok) { assert.equal(r.errorId, 'unsafe_file'); assert.match(r.message, re); }
  }
});

test('the workspace root itself pointing elsewhere does not widen what is inside', async () => {
  const ws = workspace();
  fs.rmSync(ws.app, { recursive: true });
  fs.symlinkSync(ws.outside, ws.app);
  const r = await read(ws, 'Procfile');
  assert.equal(r.ok, false);
});

test('a file over the limit is refused, one at the limit is read', async () => {
  const ws = workspace();
  fs.writeFileSync(path.join(ws.app, 'Procfile'), 'x'.repeat(2048));
  const r = await read(ws, 'Procfile', 1024);
  assert.equal(r.ok === false && r.errorId, 'file_too_large');
  assert.deepEqual(await read(ws, 'Procfile', 2048), { ok: true, text: 'x'.repeat(2048) });
});

test('tenantDir: a real folder, a link out, an absent one', async () => {
  const ws = workspace();
  fs.mkdirSync(path.join(ws.app, 'test-results'));
  fs.symlinkSync(ws.outside, path.join(ws.root, 'reports'));
  assert.deepEqual(await tenantDir(path.join(ws.app, 'test-results'), ws.root, 'test-results'), { ok: true, dir: fs.realpathSync(path.join(ws.app, 'test-results')) });
  assert.equal((await tenantDir(path.join(ws.root, 'reports'), ws.root, '$CI_REPORTS_DIR')).ok, false);
  assert.deepEqual(await tenantDir(path.join(ws.app, 'nope'), ws.root, 'nope'), { ok: true, dir: null });
});
