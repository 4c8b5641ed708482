// The server goes away (SIGKILL) while the CLI is following a stream (`logs --tail`, `ci:run`) or
// before a request: the CLI says so in one line, with exit code 3, never with a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';

/**
 * Start `slipway args` against `s`; once its output shows it is following the stream (`following`
 * holds; `poke` makes the server send something meanwhile), kill the server, and return what the CLI did.
 */
async function killDuring(s: TestServer, args: string[], following: (output: string) => boolean, opts: { cwd?: string; poke?: () => Promise<void> } = {}) {
  let seen = false;
  const running = cli(s, args, { cwd: opts.cwd, timeoutMs: 120_000, env: { FORCE_COLOR: '0' }, onOutput: (all) => { seen ||= following(all); } });
  const deadline = Date.now() + 90_000;
  while (!seen && Date.now() < deadline) {
    await opts.poke?.();
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(seen, `slipway ${args.join(' ')} never showed it was following the stream`);
  await s.kill();
  return running;
}

/** After the kill: one more start and stop on the same data folder sweeps what the killed server left (mounts, namespaces, cgroups). */
async function sweepAfterKill(s: TestServer): Promise<void> {
  await s.stop();
  await (await startServer({}, s.dataDir)).stop();
}

function assertOneLine(r: { code: number; stdout: string; stderr: string }, what: string): void {
  assert.equal(r.code, 3, `${what}: exit ${r.code}\n${r.stderr}\n${r.stdout}`);
  assert.doesNotMatch(r.stderr, /\n\s+at |node:internal/, `${what}: a stack trace\n${r.stderr}`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.filter((l) => l.startsWith('slipway:')).length, 1, `${what}: one error line\n${r.stderr}`);
  assert.match(lines.at(-1)!, /^slipway: Lost the connection to the Slipway server at http:\/\/127\.0\.0\.1:\d+ while following output \(.+\)\. Check that the server is running/);
}

test('logs --tail: the server killed mid-stream is one line and exit 3', { timeout: 120_000 }, async () => {
  const s = await startServer();
  try {
    assert.equal((await cli(s, ['apps:create', 'tail-app'])).code, 0);
    // A config change is a release, and its "Release vN created" line reaches a connected `logs --tail`.
    let n = 0;
    const r = await killDuring(s, ['logs', '--tail', '-a', 'tail-app'], (out) => /Release v\d+ created/.test(out), { poke: async () => { await api(s, 'PATCH', '/apps/tail-app/config-vars', { [`POKE_${++n}`]: 'x' }); } });
    assertOneLine(r, 'logs --tail');
    const after = await cli(s, ['apps']);
    assert.equal(after.code, 3, 'a server that is gone: exit 3');
    assert.match(after.stderr, /^slipway: Cannot reach the Slipway server at .*\n$/);
  } finally { await sweepAfterKill(s); }
});

test('ci:run following a node: the server killed mid-run is one line and exit 3', { timeout: 180_000 }, async () => {
  const s = await startServer();
  try {
    const dir = exampleRepo('node-passing', (d) => {
      const appJson = JSON.parse(fs.readFileSync(path.join(d, 'app.json'), 'utf8'));
      appJson.environments.test.scripts.test = 'echo test-started; sleep 60';
      fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify(appJson));
    });
    assert.equal((await cli(s, ['pipelines:create', 'cli-kill'])).code, 0);
    // The CLI is following its node's output once the test's first line reaches it (the test then sleeps).
    const r = await killDuring(s, ['ci:run', '-p', 'cli-kill'], (out) => out.includes('test-started'), { cwd: dir });
    assertOneLine(r, 'ci:run');
  } finally { await sweepAfterKill(s); }
});
