// `git push heroku main` exactly as a Heroku user types it: the remote `heroku apps:create` writes
// (`<host>/<app>.git`), the token from the CLI's own git credential helper, git:clone, app
// inference from that remote for both CLIs, and 404 for repositories that do not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { api, cli } from '../helpers/server.js';
import { waitFor } from '../helpers/runs.js';
import { repoWithBuildpack, git } from '../helpers/apps.js';
import { runCommand } from '../helpers/run-command.js';
import { startHerokuServer, heroku, herokuEnv, type HerokuServer } from './helpers.js';

let s: HerokuServer;
let dir: string;
const A = 'hk-git';
const gitAsUser = (args: string[], cwd: string, env: Record<string, string> = {}) => runCommand('git', args, { cwd, env: { ...herokuEnv(s), ...env }, timeoutMs: 240_000 });

before(async () => {
  s = await startHerokuServer();
  dir = repoWithBuildpack({}, 'echo "pushed" > "$1/marker.txt"');
});
after(async () => { await s.stop(); });

test('apps:create in a repository adds the heroku remote; git push heroku main deploys with the helper\'s credentials', { timeout: 240_000 }, async () => {
  const c = await heroku(s, ['apps:create', A], { cwd: dir });
  assert.equal(c.code, 0, c.stderr);
  const remote = git(dir, 'remote', 'get-url', 'heroku');
  assert.equal(remote, `${s.tlsUrl}/${A}.git`);
  assert.doesNotMatch(fs.readFileSync(path.join(dir, '.git/config'), 'utf8'), /test-admin-token/, 'no secret in the repository');
  const push = await gitAsUser(['push', 'heroku', 'main'], dir);
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: -----> Released v2/);
  assert.match(push.output, new RegExp(`To ${s.tlsUrl}/${A}\\.git`));
  const r = await heroku(s, ['run', 'cat marker.txt'], { cwd: dir });
  assert.match(r.stdout, /^pushed$/m, 'the one-off runs the pushed code; the app came from the remote');
  // Heroku's repo_size: measured after the push (kept in the app's row), the same in the app and the list.
  const sizes = await waitFor('the pushed repository measured', async () => {
    const one = (await api<{ repo_size: number }>(s, 'GET', `/apps/${A}`)).json.repo_size;
    return one > 1000 ? one : undefined;
  }, 10_000);
  assert.equal((await api<Array<{ name: string; repo_size: number }>>(s, 'GET', '/apps')).json.find((a) => a.name === A)?.repo_size, sizes);
  assert.match((await heroku(s, ['apps:info'], { cwd: dir })).stdout, /Repo Size:\s+\d/);
});

test('both CLIs infer the app from the heroku remote', { timeout: 60_000 }, async () => {
  const set = await heroku(s, ['config:set', 'FROM_REMOTE=yes'], { cwd: dir });
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stderr, new RegExp(`restarting ${A}`));
  const mine = await cli(s, ['config', '--json'], { cwd: dir });
  assert.equal(mine.code, 0, mine.stderr);
  assert.equal((JSON.parse(mine.stdout) as Record<string, string>)['FROM_REMOTE'], 'yes');
});

test('heroku git:clone -a APP clones the app\'s repository with a heroku remote', { timeout: 120_000 }, async () => {
  const r = await heroku(s, ['git:clone', '-a', A, 'copy'], { cwd: s.home });
  assert.equal(r.code, 0, r.stderr);
  const copy = path.join(s.home, 'copy');
  assert.equal(fs.readFileSync(path.join(copy, 'bp/bin/compile'), 'utf8'), fs.readFileSync(path.join(dir, 'bp/bin/compile'), 'utf8'));
  assert.equal(git(copy, 'remote', 'get-url', 'heroku'), `${s.tlsUrl}/${A}.git`);
});

test('a push of a tag, and of a ref\'s deletion, deploys nothing and is accepted; the hook\'s endpoint refuses a call without the push\'s own token', { timeout: 120_000 }, async () => {
  const builds = async () => (await api<unknown[]>(s, 'GET', `/apps/${A}/builds`)).json.length;
  const before = await builds();
  git(dir, 'tag', 'v1');
  const tag = await gitAsUser(['push', 'heroku', 'v1'], dir);
  assert.equal(tag.code, 0, tag.output);
  assert.match(tag.output, /remote:\s+Ignoring refs\/tags\/v1: Slipway deploys branches\./);
  const deleted = await gitAsUser(['push', 'heroku', ':refs/tags/v1'], dir);
  assert.equal(deleted.code, 0, deleted.output);
  assert.match(deleted.output, /\[deleted\]\s+v1/);
  // Forged: the hook's call without a push in progress, or with a token of no push.
  for (const authorization of [undefined, 'Bearer not-a-push-token']) {
    const res = await fetch(`${s.url}/git-hooks/push`, { method: 'POST', headers: { 'content-type': 'text/plain', ...(authorization ? { authorization } : {}) }, body: `${'0'.repeat(40)} ${'a'.repeat(40)} refs/heads/main\n` });
    assert.equal(res.status, 401);
    assert.match((await res.json() as { message: string }).message, /only takes commits from a push in progress/);
  }
  assert.equal(await builds(), before, 'no build was started');
});

test('an unknown repository is a 404 git reports as not found; a wrong token is refused', { timeout: 60_000 }, async () => {
  const missing = await gitAsUser(['clone', `${s.tlsUrl}/no-such-app.git`, 'nothing'], s.home);
  assert.notEqual(missing.code, 0);
  assert.match(missing.output, /not found/i);
  assert.doesNotMatch(missing.output, /Authentication failed/);
  const forged = await gitAsUser(['clone', `${s.tlsUrl}/${A}.git`, 'stolen'], s.home, { HEROKU_API_KEY: 'not-the-token' });
  assert.notEqual(forged.code, 0);
  assert.match(forged.output, /Authentication failed|401/);
  assert.equal(fs.existsSync(path.join(s.home, 'stolen/bp')), false);
});
