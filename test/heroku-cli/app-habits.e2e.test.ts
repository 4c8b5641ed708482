// Everyday app commands of the heroku CLI: apps:create without a name, maintenance:on/off (the
// router answers 503 while the dynos keep running), ps:restart --process-type, releases:retry
// (the release phase runs again), apps:rename (git remote, router and pipeline follow).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { viaRouter } from '../helpers/server.js';
import { repoWithBuildpack, git } from '../helpers/apps.js';
import { waitFor } from '../helpers/runs.js';
import { runCommand } from '../helpers/run-command.js';
import { startHerokuServer, heroku, herokuEnv, type HerokuServer } from './helpers.js';

let s: HerokuServer;
let dir: string;
let name = '';
const h = (...args: string[]) => heroku(s, args, { cwd: dir, timeoutMs: 120_000 });
const SERVER_JS = 'require("http").createServer((q, r) => r.end("up " + process.env.DYNO)).listen(process.env.PORT)';

before(async () => {
  s = await startHerokuServer();
  dir = repoWithBuildpack({}, `printf 'web: node server.js\\nrelease: echo release-phase-ran\\n' > "$1/Procfile"; echo '${SERVER_JS}' > "$1/server.js"`);
});
after(async () => { await s.stop(); });

test('apps:create without a name makes a Heroku-style name and the heroku remote; git push heroku main deploys it', { timeout: 240_000 }, async () => {
  const c = await h('apps:create');
  assert.equal(c.code, 0, c.stderr);
  name = /Creating app\.\.\. done, (?:⬢ )?([a-z]+-[a-z]+-\d{5})/.exec(c.stderr + c.stdout)?.[1] ?? '';
  assert.ok(name, c.stderr + c.stdout);
  assert.equal(git(dir, 'remote', 'get-url', 'heroku'), `${s.tlsUrl}/${name}.git`);
  const push = await runCommand('git', ['push', 'heroku', 'main'], { cwd: dir, env: herokuEnv(s), timeoutMs: 240_000 });
  assert.equal(push.code, 0, push.output);
  await waitFor('the web dyno', async () => (await viaRouter(s, name)).status === 200, 60_000);
});

test('maintenance:on answers 503 with a maintenance page while the dyno keeps running; maintenance:off serves again', { timeout: 90_000 }, async () => {
  const on = await h('maintenance:on');
  assert.equal(on.code, 0, on.stderr);
  assert.match(on.stderr, new RegExp(`Enabling maintenance mode for (?:⬢ )?${name}\\.\\.\\. done`));
  assert.equal((await h('maintenance')).stdout.trim(), 'on');
  const r = await viaRouter(s, name);
  assert.equal(r.status, 503);
  assert.match(r.body, /Offline for maintenance/);
  assert.match((await h('ps')).stdout, /web\.1: up/, 'the dyno keeps running');
  await waitFor('the H80 line', async () => /heroku\[router\]: at=error code=H80 desc="Maintenance mode"/.test((await h('logs', '-n', '200')).stdout), 20_000);
  assert.equal((await h('maintenance:off')).code, 0);
  assert.equal((await h('maintenance')).stdout.trim(), 'off');
  await waitFor('serving again', async () => (await viaRouter(s, name)).status === 200, 10_000);
});

test('ps:restart --process-type web restarts the web dynos', { timeout: 90_000 }, async () => {
  const r = await h('ps:restart', '--process-type', 'web');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, new RegExp(`Restarting all web dynos on (?:⬢ )?${name}\\.\\.\\. done`));
  assert.equal((await viaRouter(s, name)).status, 200);
  const none = await h('ps:restart', '--process-type', 'worker');
  assert.notEqual(none.code, 0);
  assert.match(none.stderr, /No worker dynos are running/);
});

test('releases:retry makes a new release of the latest slug and runs the release phase again', { timeout: 120_000 }, async () => {
  const r = await h('releases:retry');
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stderr, new RegExp(`Retrying v\\d+ on (?:⬢ )?${name}\\.\\.\\. done, v\\d+`));
  assert.match(r.stdout, /Running release command\.\.\./);
  assert.match(r.stdout, /release-phase-ran/);
});

test('apps:rename: the git remote, the router and the pipeline follow', { timeout: 240_000 }, async () => {
  assert.equal((await h('pipelines:create', 'habits-pipe', '--stage', 'staging')).code, 0);
  const renamed = `${name}-b`;
  const r = await h('apps:rename', renamed);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(git(dir, 'remote', 'get-url', 'heroku'), `${s.tlsUrl}/${renamed}.git`);
  await waitFor('the new host', async () => (await viaRouter(s, renamed)).status === 200, 10_000);
  assert.equal((await viaRouter(s, name)).status, 404, 'the old name is gone');
  assert.match((await h('pipelines:info', 'habits-pipe')).stdout, new RegExp(`${renamed}\\s+staging`));
  git(dir, 'commit', '--allow-empty', '-q', '-m', 'after rename');
  const push = await runCommand('git', ['push', 'heroku', 'main'], { cwd: dir, env: herokuEnv(s), timeoutMs: 240_000 });
  assert.equal(push.code, 0, push.output);
  assert.match(push.output, /remote: -----> Released v\d+/);
});

test('buildpacks:set/add/remove/clear: the app\'s own buildpacks replace app.json\'s on the next build', { timeout: 300_000 }, async () => {
  const NODE = 'https://github.com/heroku/heroku-buildpack-nodejs';
  const CHROME = 'https://github.com/heroku/heroku-buildpack-google-chrome';
  assert.match((await h('buildpacks')).stdout, /has no Buildpacks/);
  const set = await h('buildpacks:set', NODE);
  assert.equal(set.code, 0, set.stderr);
  assert.equal((await h('buildpacks:add', '--index', '1', CHROME)).code, 0);
  const two = (await h('buildpacks')).stdout;
  assert.ok(two.includes(CHROME) && two.indexOf(CHROME) < two.indexOf(NODE), two);
  assert.equal((await h('buildpacks:remove', CHROME)).code, 0);
  const one = (await h('buildpacks')).stdout;
  assert.ok(one.includes(NODE) && !one.includes(CHROME), one);
  const bad = await h('buildpacks:set', 'ftp://example.invalid/bp');
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Unknown buildpack/);
  git(dir, 'commit', '--allow-empty', '-q', '-m', 'with the app\'s buildpacks');
  const push = await runCommand('git', ['push', 'heroku', 'main'], { cwd: dir, env: herokuEnv(s), timeoutMs: 240_000 });
  assert.match(push.output, new RegExp(`Using the app's buildpacks: ${NODE}`), 'the app\'s buildpack, not app.json\'s ./bp');
  assert.equal((await h('buildpacks:clear')).code, 0);
  assert.match((await h('buildpacks')).stdout, /has no Buildpacks/);
  git(dir, 'commit', '--allow-empty', '-q', '-m', 'app.json\'s buildpacks again');
  const again = await runCommand('git', ['push', 'heroku', 'main'], { cwd: dir, env: herokuEnv(s), timeoutMs: 240_000 });
  assert.equal(again.code, 0, again.output);
  assert.match(again.output, /Running \.\/bp bin\/compile/);
});
