// The README's quick start as a new user runs it: a fresh clone, the first command (set-up, then
// the server on the embedded defaults) until the server is healthy, then the second command (the
// whole suite), which must pass with nothing skipped. `npm test` runs this file after the rest of
// the suite, alone (so the nested suite does not compete with the outer one); the nested run
// carries SLIPWAY_TEST_QUICKSTART_NESTED=1, where this file registers no test, so it cannot recurse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/server.js';
import { freePort } from '../helpers/postgres.js';
import { runCommand } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp.js';

const NESTED = 'SLIPWAY_TEST_QUICKSTART_NESTED';

/** The commands of the README's quick start block, comments dropped. */
function quickStartCommands(readme: string): string[] {
  const section = readme.split(/^## Quick start$/m)[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

if (process.env[NESTED] !== '1') {
  test('the README quick start in a fresh clone: set-up and server to healthy, then the whole suite passes with 0 skipped', { timeout: 45 * 60_000 }, async (t) => {
    const [setupAndServe, runTests, ...rest] = quickStartCommands(fs.readFileSync(path.join(REPO, 'README.md'), 'utf8'));
    assert.deepEqual(rest, [], 'the quick start is two commands');
    assert.match(setupAndServe ?? '', /slipway server/);
    // Traversable like a user's project folder (a 0700 parent is what the server refuses, tested in doctor's unit tests).
    const home = tempDir('slipway-quickstart-');
    fs.chmodSync(home, 0o755);
    const clone = path.join(home, 'slipway');
    t.after(() => fs.rmSync(home, { recursive: true, force: true }));
    const cloned = await runCommand('git', ['clone', '-q', REPO, clone], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, timeoutMs: 120_000 });
    assert.equal(cloned.code, 0, cloned.output);

    // A user's shell; ports of its own so it never meets a server already on 5000, and npm answers
    // from its cache so the test sends nothing off this machine.
    const port = await freePort();
    const env = {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', npm_config_offline: 'true',
      PORT: String(port), SLIPWAY_ROUTER_PORT: String(await freePort()),
    };
    const started = Date.now();
    const first = spawn('bash', ['-c', setupAndServe!], { cwd: clone, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    first.stdout.on('data', (c) => { out += c; });
    first.stderr.on('data', (c) => { out += c; });
    const exited = new Promise<number | null>((r) => first.once('exit', (code) => r(code)));
    try {
      for (;;) {
        if (first.exitCode !== null) assert.fail(`the first command ended (${first.exitCode}) before the server was healthy:\n${out}`);
        if (Date.now() - started > 20 * 60_000) assert.fail(`no healthy server after 20 minutes:\n${out}`);
        try { if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) break; } catch { /* not yet */ }
        await new Promise((r) => setTimeout(r, 500));
      }
      t.diagnostic(`set-up and server healthy in ${Math.round((Date.now() - started) / 1000)} s`);
      assert.match(out, /All good: slipway server can start\./, 'set-up ends with a clean doctor report');
      assert.match(out, new RegExp(`Slipway listening on http://127\\.0\\.0\\.1:${port} \\(data in ${clone}/\\.slipway, sqlite store, sandbox: bwrap`));
      assert.match(out, /Admin API token \(shown once/);
    } finally {
      try { process.kill(-first.pid!, 'SIGTERM'); } catch { /* gone */ }
      await exited;
    }

    const suiteStarted = Date.now();
    const suite = await runCommand('bash', ['-c', runTests!], { cwd: clone, env: { ...env, [NESTED]: '1' }, timeoutMs: 40 * 60_000 });
    const tail = suite.output.slice(-6000);
    t.diagnostic(`the suite ran in ${Math.round((Date.now() - suiteStarted) / 1000)} s`);
    // A failure deep in a long TAP stream: show each failed test with the start of its error.
    const failed = suite.stdout.split('\n').flatMap((l, i, all) => (/^\s*not ok \d+ - /.test(l) ? [all.slice(i, i + 25).join('\n')] : []));
    assert.equal(suite.code, 0, failed.length ? failed.join('\n') : tail);
    // One summary per `node --test` run: every one without failures or skips, the main one with the whole suite.
    const counts = (name: string) => [...suite.stdout.matchAll(new RegExp(`^(?:# |ℹ )${name} (\\d+)$`, 'gm'))].map((m) => Number(m[1]));
    assert.ok(counts('tests').length >= 2 && Math.max(...counts('tests')) > 100, `the whole suite ran:\n${tail}`);
    assert.deepEqual(counts('skipped').filter((n) => n !== 0), [], `nothing skipped:\n${tail}`);
    assert.deepEqual(counts('fail').filter((n) => n !== 0), [], tail);
  });
}
