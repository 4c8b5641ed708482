// The server goes away (SIGKILL) while the CLI is following a stream (`logs --tail`, `ci:run`) or
// before a request: the CLI says so in one line, with exit code 3, never with a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';

/** Start `slipway args` against `s`, kill the server once `ready(output)` holds, and return what the CLI did. */
async function killDuring(s: TestServer, args: string[], ready: () => Promise<boolean>, cwd?: string) {
  const running = cli(s, args, { cwd, timeoutMs: 120_000, env: { FORCE_COLOR: '0' } });
  const deadline = Date.now() + 90_000;
  // The CLI's output is not visible before it ends, so readiness is read from the server's side.
  while (!(await ready()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  await new Promise((r) => setTimeout(r, 1000)); // the stream is open and being followed
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
    const r = await killDuring(s, ['logs', '--tail', '-a', 'tail-app'], async () => true);
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
    // Once the run exists the CLI is following its node's output (setup, then the sleeping test).
    const running = async () => (await api<Array<{ status: string }>>(s, 'GET', '/pipelines/cli-kill/test-runs')).json.some((t) => ['creating', 'building', 'running'].includes(t.status));
    const r = await killDuring(s, ['ci:run', '-p', 'cli-kill'], running, dir);
    assertOneLine(r, 'ci:run');
  } finally { await sweepAfterKill(s); }
});
