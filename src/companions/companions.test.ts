import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { alive, carriesInstance, Companion } from './companions.js';

const quiet = { info: () => {}, warn: () => {}, error: () => {} };

/** A process that ignores SIGTERM and answers on no socket (a companion too busy or hung to answer), with `instance` in its environment. */
function silent(instance?: string) {
  const p = spawn(process.execPath, ['-e', "process.on('SIGTERM', () => {}); console.log('ready'); setInterval(() => {}, 1000)"], {
    env: instance ? { SLIPWAY_COMPANION_INSTANCE: instance } : {}, stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise<number>((resolve) => p.stdout.once('data', () => resolve(p.pid!)));
}

test('a recorded companion that does not answer on its socket is still known by the instance in its environment, and a clean stop ends it', { timeout: 20_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-companion-'));
  try {
    const pid = await silent('inst-1');
    assert.equal(carriesInstance(pid, 'inst-1'), true);
    assert.equal(carriesInstance(pid, 'inst-2'), false);
    fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ kind: 'agent', pid, instance: 'inst-1', version: 'v', key: 'k', started_at: new Date().toISOString() }));
    const c = new Companion({ dir, kind: 'agent', log: quiet });
    assert.equal((await c.running())?.answering, false);
    assert.equal(await c.stop(300), 'killed', 'SIGTERM ignored: killed past the grace');
    assert.equal(alive(pid), false);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('a process at a recorded pid without the recorded instance is not the companion: never signalled', { timeout: 20_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-companion-'));
  const pid = await silent();
  try {
    fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify({ kind: 'agent', pid, instance: 'inst-1', version: 'v', key: 'k', started_at: new Date().toISOString() }));
    const c = new Companion({ dir, kind: 'agent', log: quiet });
    assert.equal(await c.running(), undefined);
    assert.equal(await c.stop(300), 'none');
    assert.equal(alive(pid), true, 'the other process runs on');
  } finally {
    process.kill(pid, 'SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
