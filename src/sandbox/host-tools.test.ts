// Host programs are found in the fixed system PATH, whatever PATH the process (or a tenant) carries.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findExecutable, hostTool, SYSTEM_PATH } from './host-tools.js';
import { runHost } from './host.js';

function hostileBin(): { dir: string; marker: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-hostile-bin-'));
  const marker = path.join(dir, 'ran');
  for (const name of ['git', 'bwrap', 'setpriv', 'ip', 'cp']) {
    fs.writeFileSync(path.join(dir, name), `#!/bin/sh\ntouch ${marker}\necho hijacked\n`, { mode: 0o755 });
  }
  return { dir, marker };
}

test('host tools resolve from the system PATH, never from a hostile PATH', { timeout: 30_000 }, async () => {
  const { dir, marker } = hostileBin();
  const saved = process.env['PATH'];
  process.env['PATH'] = `${dir}:${saved}`;
  try {
    for (const name of ['git', 'bwrap', 'setpriv', 'ip', 'cp']) {
      const file = hostTool(name);
      assert.ok(path.isAbsolute(file), `${name} → ${file}`);
      assert.ok(!file.startsWith(dir), `${name} resolved to the hostile ${file}`);
      assert.ok(SYSTEM_PATH.split(':').includes(path.dirname(file)), `${name} → ${file}`);
    }
    // Even with the hostile folder first in the env given to the child, the real git runs.
    const r = await runHost('git', ['--version'], { env: { PATH: dir } });
    assert.match(r.stdout, /^git version/);
    assert.equal(fs.existsSync(marker), false);
  } finally {
    process.env['PATH'] = saved;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a program that is not a host tool is refused with a clear error', () => {
  assert.throws(() => hostTool('python3'), /not a host program Slipway runs/);
  assert.equal(hostTool('node'), process.execPath);
  assert.equal(hostTool('/usr/lib/postgresql/15/bin/postgres'), '/usr/lib/postgresql/15/bin/postgres');
});

test('findExecutable skips relative PATH entries and non-executable files', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-find-'));
  try {
    fs.writeFileSync(path.join(dir, 'tool'), 'not executable', { mode: 0o644 });
    assert.equal(findExecutable('tool', `.:${dir}`), undefined);
    fs.chmodSync(path.join(dir, 'tool'), 0o755);
    assert.equal(findExecutable('tool', `bin:${dir}`), path.join(dir, 'tool'));
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
