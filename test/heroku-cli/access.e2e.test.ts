// The official heroku CLI's `teams`, `members*`, `access*` and `authorizations*` against Slipway:
// the requests they make (checked in the heroku/cli source) are answered in Heroku's shapes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cli } from '../helpers/server.js';
import { heroku, startHerokuServer, type HerokuServer } from './helpers.js';

let s: HerokuServer;
const DEV = 'dev@team.test';
const LEAD = 'lead@team.test';
const pw: Record<string, string> = {};

before(async () => {
  s = await startHerokuServer();
  for (const u of [DEV, LEAD]) {
    const r = await cli(s, ['users:create', u]);
    assert.equal(r.code, 0, r.stderr);
    pw[u] = /Password[^\n]*\n\n\s+(\S+)/.exec(r.stdout)![1]!;
  }
  assert.equal((await cli(s, ['teams:create', 'acme'])).code, 0);
  assert.equal((await cli(s, ['apps:create', 'acme-web', '--team', 'acme'])).code, 0);
  assert.equal((await cli(s, ['apps:create', 'solo-web'])).code, 0);
  assert.equal((await cli(s, ['members:add', LEAD, '--team', 'acme', '--role', 'admin'])).code, 0);
}, { timeout: 60_000 });
after(() => s?.stop());

test('teams and members: members:add, members:set, members, teams, members:remove', { timeout: 120_000 }, async () => {
  const add = await heroku(s, ['members:add', DEV, '--team', 'acme', '--role', 'viewer']);
  assert.equal(add.code, 0, add.output);
  const set = await heroku(s, ['members:set', DEV, '--team', 'acme', '--role', 'member']);
  assert.equal(set.code, 0, set.output);
  const members = await heroku(s, ['members', '--team', 'acme', '--json']);
  assert.equal(members.code, 0, members.output);
  assert.deepEqual((JSON.parse(members.stdout) as { email: string; role: string }[]).map((m) => [m.email, m.role]), [[DEV, 'member'], [LEAD, 'admin']]);
  const teams = await heroku(s, ['teams']);
  assert.match(teams.stdout, /acme\s+admin/);
  const wrongRole = await heroku(s, ['members:add', DEV, '--team', 'acme', '--role', 'owner']);
  assert.notEqual(wrongRole.code, 0);
  assert.match(wrongRole.output, /Unknown role "owner"/);
  const rm = await heroku(s, ['members:remove', DEV, '--team', 'acme']);
  assert.equal(rm.code, 0, rm.output);
  assert.doesNotMatch((await heroku(s, ['members', '--team', 'acme'])).stdout, /dev@team\.test/);
});

test('access on a team app: access:add with permissions, access:update, access, access:remove', { timeout: 120_000 }, async () => {
  const add = await heroku(s, ['access:add', DEV, '-a', 'acme-web', '--permissions', 'deploy']);
  assert.equal(add.code, 0, add.output);
  const upd = await heroku(s, ['access:update', DEV, '-a', 'acme-web', '--permissions', 'deploy,operate']);
  assert.equal(upd.code, 0, upd.output);
  const list = await heroku(s, ['access', '-a', 'acme-web', '--json']);
  assert.equal(list.code, 0, list.output);
  const dev = (JSON.parse(list.stdout) as { user: { email: string }; permissions: { name: string }[] }[]).find((c) => c.user.email === DEV)!;
  assert.deepEqual(dev.permissions.map((p) => p.name), ['view', 'deploy', 'operate']);
  const table = await heroku(s, ['access', '-a', 'acme-web']);
  assert.match(table.stdout, /lead@team\.test\s+admin/, 'team admins are listed with their role');
  // What was granted is what the guard enforces: operate yes, manage no.
  const devToken = await signIn(DEV);
  const restart = await heroku(s, ['ps:restart', '-a', 'acme-web'], { env: { HEROKU_API_KEY: devToken } });
  assert.equal(restart.code, 0, restart.output);
  assert.notEqual((await heroku(s, ['config:set', 'X=1', '-a', 'acme-web'], { env: { HEROKU_API_KEY: devToken } })).code, 0);
  const rm = await heroku(s, ['access:remove', DEV, '-a', 'acme-web']);
  assert.equal(rm.code, 0, rm.output);
  assert.equal((await heroku(s, ['apps:info', '-a', 'acme-web'], { env: { HEROKU_API_KEY: devToken } })).code !== 0, true, 'no access any more: 404');
});

test('apps:create --team makes a team app; a team viewer sees it and cannot deploy it', { timeout: 90_000 }, async () => {
  const made = await heroku(s, ['apps:create', 'acme-api', '--team', 'acme']);
  assert.equal(made.code, 0, made.output);
  const info = JSON.parse((await heroku(s, ['apps:info', '-a', 'acme-api', '--json'])).stdout) as { app: { team: { name: string }; owner: { email: string } } };
  assert.equal(info.app.team.name, 'acme');
  assert.equal(info.app.owner.email, 'acme@herokumanager.com');
  assert.equal((await cli(s, ['members:add', DEV, '--team', 'acme', '--role', 'viewer'])).code, 0);
  const dev = { env: { HEROKU_API_KEY: await signIn(DEV) } };
  assert.equal((await heroku(s, ['apps:info', '-a', 'acme-api'], dev)).code, 0);
  const scale = await heroku(s, ['ps:restart', '-a', 'acme-api'], dev);
  assert.notEqual(scale.code, 0);
  assert.match(scale.output, /permission_denied|does not include operate/);
  assert.equal((await cli(s, ['members:remove', DEV, '--team', 'acme'])).code, 0);
  assert.notEqual((await heroku(s, ['apps:info', '-a', 'acme-api'], dev)).code, 0, 'out of the team: 404');
});

test('access on a personal app: access:add without permissions, access, access:remove', { timeout: 60_000 }, async () => {
  const add = await heroku(s, ['access:add', LEAD, '-a', 'solo-web']);
  assert.equal(add.code, 0, add.output);
  const list = await heroku(s, ['access', '-a', 'solo-web']);
  assert.match(list.stdout, /lead@team\.test\s+collaborator/);
  assert.equal((await heroku(s, ['access:remove', LEAD, '-a', 'solo-web'])).code, 0);
  assert.doesNotMatch((await heroku(s, ['access', '-a', 'solo-web'])).stdout, /lead@team\.test/);
});

test('authorizations: create, list, info, update, rotate, revoke', { timeout: 120_000 }, async () => {
  const made = await heroku(s, ['authorizations:create', '-d', 'deploy-bot', '-s', 'deploy', '-e', '3600', '--json']);
  assert.equal(made.code, 0, made.output);
  const a = JSON.parse(made.stdout) as { id: string; scope: string[]; access_token: { token: string; expires_in: number } };
  assert.deepEqual(a.scope, ['deploy']);
  assert.ok(a.access_token.expires_in > 3500 && a.access_token.expires_in <= 3600);
  const list = await heroku(s, ['authorizations']);
  assert.match(list.stdout, new RegExp(`deploy-bot\\s+${a.id}\\s+deploy`));
  const info = await heroku(s, ['authorizations:info', a.id]);
  assert.match(info.stdout, /deploy-bot/);
  assert.equal((await heroku(s, ['authorizations:update', a.id, '-d', 'renamed-bot'])).code, 0);
  assert.match((await heroku(s, ['authorizations']).then((r) => r.stdout)), /renamed-bot/);
  const rotated = await heroku(s, ['authorizations:rotate', a.id]);
  assert.equal(rotated.code, 0, rotated.output);
  const get = async (t: string) => (await fetch(`${s.url}/apps`, { headers: { authorization: `Bearer ${t}` } })).status;
  assert.equal(await get(a.access_token.token), 401, 'rotation replaces the old secret');
  const bad = await heroku(s, ['authorizations:create', '-s', 'global,root']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.output, /read, write, deploy or ci/);
  assert.equal((await heroku(s, ['authorizations:revoke', a.id])).code, 0);
  assert.doesNotMatch((await heroku(s, ['authorizations'])).stdout, /renamed-bot/);
});

async function signIn(email: string): Promise<string> {
  const res = await fetch(`${s.url}/oauth/authorizations`, { method: 'POST', headers: { authorization: `Basic ${Buffer.from(`${email}:${pw[email]}`).toString('base64')}` } });
  assert.equal(res.status, 201);
  return ((await res.json()) as { access_token: { token: string } }).access_token.token;
}
