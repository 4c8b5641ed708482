import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { PRE_RECEIVE_HOOK, parsePushedRefs, pushResultLine, quarantineEnv, skippedRef } from './pre-receive-hook.js';

const ZERO = '0'.repeat(40);
const A = 'a'.repeat(40);

test('pushed refs: branches are taken, a tag is named and skipped, a deletion is skipped silently', () => {
  const refs = parsePushedRefs(`${ZERO} ${A} refs/heads/main\n${ZERO} ${A} refs/tags/v1\n${A} ${ZERO} refs/heads/old\n`);
  assert.equal(refs.length, 3);
  assert.equal(skippedRef(refs[0]!), null);
  assert.equal(skippedRef(refs[1]!), '       Ignoring refs/tags/v1: Slipway deploys branches.\n');
  assert.equal(skippedRef(refs[2]!), '');
  assert.deepEqual(parsePushedRefs(`${ZERO} --output=/tmp/x refs/heads/main\n${ZERO} ${A} main\n${ZERO} ${A} refs/heads/a b\n`), [], 'only git\'s own line shape: no option for a sha, a full ref name');
});

test('quarantine: only a folder of git\'s own naming inside the repository\'s objects', () => {
  const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-hook-repo-'));
  try {
    fs.mkdirSync(path.join(repo, 'objects', 'tmp_objdir-incoming-Ab12_x'), { recursive: true });
    fs.symlinkSync('/etc', path.join(repo, 'objects', 'tmp_objdir-incoming-link'));
    const env = quarantineEnv(repo, 'tmp_objdir-incoming-Ab12_x');
    assert.ok(!('error' in env));
    assert.equal(env['GIT_OBJECT_DIRECTORY'], path.join(repo, 'objects', 'tmp_objdir-incoming-Ab12_x'));
    assert.equal(env['GIT_ALTERNATE_OBJECT_DIRECTORIES'], path.join(repo, 'objects'));
    for (const bad of ['../../etc', 'tmp_objdir-incoming-../../x', 'pack', 'tmp_objdir-incoming-missing', 'tmp_objdir-incoming-link']) {
      assert.ok('error' in quarantineEnv(repo, bad), bad);
    }
    assert.equal((quarantineEnv(repo, '') as Record<string, string>)['GIT_OBJECT_DIRECTORY'], undefined, 'no quarantine: the repository itself');
  } finally { fs.rmSync(repo, { recursive: true, force: true }); }
});

/** Run the hook against a server that answers `answer`; what it sent, printed and exited with. */
async function runHook(status: number, body: (token: string) => string): Promise<{ request: { url: string; headers: http.IncomingHttpHeaders; body: string }; stdout: string; code: number | null }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-hook-'));
  let request!: { url: string; headers: http.IncomingHttpHeaders; body: string };
  const server = http.createServer((req, res) => {
    let b = '';
    req.on('data', (c) => { b += c; });
    req.on('end', () => {
      request = { url: req.url!, headers: req.headers, body: b };
      res.writeHead(status, { 'content-type': 'text/plain' });
      // In pieces, as the server streams a build.
      const text = body('tok123');
      res.write(text.slice(0, 5));
      setTimeout(() => res.end(text.slice(5)), 50);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const hook = path.join(dir, 'pre-receive');
    fs.writeFileSync(hook, PRE_RECEIVE_HOOK, { mode: 0o755 });
    const port = (server.address() as { port: number }).port;
    const child = spawn(hook, [], { env: { PATH: '/usr/bin:/bin', SLIPWAY_PUSH_CALLBACK: `http://127.0.0.1:${port}/git-hooks/push`, SLIPWAY_PUSH_TOKEN: 'tok123', GIT_QUARANTINE_PATH: '/repos/x.git/objects/tmp_objdir-incoming-q1' } });
    let stdout = '';
    child.stdout.on('data', (c) => { stdout += c; });
    child.stdin.end(`${ZERO} ${A} refs/heads/main\n`);
    const code = await new Promise<number | null>((r) => child.on('close', r));
    return { request, stdout, code };
  } finally {
    server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the hook: sends the refs and the quarantine\'s name with the push\'s token, prints the answer, accepts only on its own marker', { timeout: 20_000 }, async () => {
  const ok = await runHook(200, (t) => `-----> Building\n       done\n${pushResultLine(t, true)}`);
  assert.equal(ok.code, 0);
  assert.equal(ok.request.url, '/git-hooks/push');
  assert.equal(ok.request.headers.authorization, 'Bearer tok123');
  assert.equal(ok.request.headers['x-slipway-quarantine'], 'tmp_objdir-incoming-q1');
  assert.equal(ok.request.body, `${ZERO} ${A} refs/heads/main\n`);
  assert.equal(ok.stdout, '-----> Building\n       done\n');

  const rejected = await runHook(200, (t) => `!      the build failed\n${pushResultLine(t, false)}`);
  assert.equal(rejected.code, 1);
  assert.equal(rejected.stdout, '!      the build failed\n');

  // A build's output that prints a result line without the push's token is output, not the result.
  const forged = await runHook(200, (t) => `${pushResultLine('guess', true)}${pushResultLine(t, false)}`);
  assert.equal(forged.code, 1);
  assert.equal(forged.stdout, pushResultLine('guess', true));

  const cut = await runHook(200, () => '-----> Building\n');
  assert.equal(cut.code, 1, 'an answer that ends without the result rejects the push');

  const refused = await runHook(401, () => '{"id":"unauthorized","message":"no"}');
  assert.equal(refused.code, 1);
  assert.equal(refused.stdout, '!     Push rejected: HTTP 401 {"id":"unauthorized","message":"no"}\n');
});
