// The README's quick start as a new user runs it: a fresh clone, the first command (set-up, then
// the server on the embedded defaults) until the server is healthy. The second command is `npm test`
// itself, which fails on any failed or skipped test (scripts/test.sh); CI runs exactly these two
// commands in a fresh clone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO } from '../helpers/server.js';
import { freePort } from '../helpers/postgres.js';
import { runCommand } from '../helpers/run-command.js';
import { tempDir } from '../helpers/temp.js';
import { companions } from '../helpers/companions.js';

/** The commands of the README's quick start block, comments dropped. */
function quickStartCommands(readme: string): string[] {
  const section = readme.split(/^## Quick start$/m)[1] ?? '';
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  return block.split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()).filter(Boolean);
}

/**
 * better-sqlite3 as this checkout built it (npm ci, from the same lock), packed as the prebuilt
 * binary its installer (prebuild-install) looks for in a local folder: the environment that points
 * it there. None when the checkout has no build of the version the lock asks for (npm ci then
 * compiles it, as on a machine without one).
 */
async function localSqlitePrebuild(dir: string): Promise<Record<string, string>> {
  const locked = (JSON.parse(fs.readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> }).packages['node_modules/better-sqlite3']?.version;
  const pkg = path.join(REPO, 'node_modules/better-sqlite3');
  const built = path.join(pkg, 'build/Release/better_sqlite3.node');
  if (!locked || !fs.existsSync(built) || (JSON.parse(fs.readFileSync(path.join(pkg, 'package.json'), 'utf8')) as { version: string }).version !== locked) return {};
  const prebuilds = path.join(dir, 'prebuilds');
  fs.mkdirSync(prebuilds);
  const tar = await runCommand('tar', ['-czf', path.join(prebuilds, `better-sqlite3-v${locked}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`), '-C', pkg, 'build/Release/better_sqlite3.node'], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, timeoutMs: 60_000 });
  assert.equal(tar.code, 0, tar.output);
  return { npm_config_better_sqlite3_local_prebuilds: prebuilds };
}

test('the README quick start in a fresh clone: set-up and server to healthy; the second command is the suite that fails on skips', { timeout: 25 * 60_000 }, async (t) => {
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
  // from its cache so the test sends nothing off this machine. better-sqlite3's native module, which
  // npm ci would compile from source again (minutes of the test), comes from this checkout's own
  // build of the same version, as a prebuilt binary its installer loads before it takes it.
  const port = await freePort();
  const env = {
    PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', npm_config_offline: 'true',
    PORT: String(port), SLIPWAY_ROUTER_PORT: String(await freePort()), ...await localSqlitePrebuild(home),
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
      // Healthy and said so: /health answers a moment before the start-up lines are all printed (the router companion starts between).
    try { if ((await fetch(`http://127.0.0.1:${port}/health`)).ok && /Slipway listening on /.test(out)) break; } catch { /* not yet */ }
      await new Promise((r) => setTimeout(r, 500));
    }
    const compiled = fs.existsSync(path.join(clone, 'node_modules/better-sqlite3/build/Release/obj.target'));
    t.diagnostic(`set-up and server healthy in ${Math.round((Date.now() - started) / 1000)} s (better-sqlite3 ${compiled ? 'compiled from source' : "from this checkout's build"})`);
    assert.match(out, /All good: slipway server can start\./, 'set-up ends with a clean doctor report');
    assert.match(out, new RegExp(`Slipway listening on http://127\\.0\\.0\\.1:${port} \\(data in ${clone}/\\.slipway, sqlite store, sandbox: bwrap`));
    assert.match(out, /Admin API token \(shown once/);
  } finally {
    try { process.kill(-first.pid!, 'SIGTERM'); } catch { /* gone */ }
    await exited;
    // The shell ends first; the server (in its process group) then stops its router and local agent before it exits.
    const groupAlive = () => fs.readdirSync('/proc').some((p) => {
      try { return /^\d+$/.test(p) && fs.readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[2] === String(first.pid); } catch { return false; }
    });
    for (const until = Date.now() + 60_000; groupAlive() && Date.now() < until;) await new Promise((r) => setTimeout(r, 200));
    // One left over after that is said and ended (it must not outlive the test).
    const left = companions(path.join(clone, '.slipway'));
    for (const pid of [...left['router'] ?? [], ...left['agent'] ?? []]) {
      t.diagnostic(`a companion outlived the server: pid ${pid}`);
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
    }
  }

  // The second command is the suite itself: `npm test` (scripts/test.sh) fails on any failed or
  // skipped test, and CI runs it in a fresh clone; running it again in here would double its time.
  assert.equal(runTests, 'npm test');
  assert.equal(JSON.parse(fs.readFileSync(path.join(clone, 'package.json'), 'utf8')).scripts.test, 'bash scripts/test.sh');
});
