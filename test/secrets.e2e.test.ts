// Secrets at rest, signed URLs and the audit log, through the real server and CLI: the database's raw
// bytes (SQLite file and WAL, a Postgres dump) hold no secret in clear; a URL for one thing opens
// nothing else and stops working; the key rotates with every value still readable; every change is
// in the audit log with its actor and address.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import SqliteDatabase from 'better-sqlite3';
import { startServer, cli, api, TOKEN, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { freshDatabase, startPostgres, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';
import { Keyring, keyId, newKeyText, parseKey } from '../src/core/secret-box.js';
import { signPath } from '../src/core/signed-url.js';

const servers: TestServer[] = [];
const start = async (env: Record<string, string> = {}, dir?: string) => { const s = await startServer(env, dir); servers.push(s); return s; };
after(async () => { for (const s of servers) await s.stop(); cluster?.stop(); });
let cluster: PgCluster | undefined;

/** A value no part of Slipway would make up: if these bytes are in the store, the secret is in clear. */
const marker = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;

/** The raw bytes of the SQLite store: the database file, its WAL and shared memory. */
const sqliteBytes = (dir: string): Buffer => Buffer.concat(fs.readdirSync(dir).filter((f) => f.startsWith('slipway.db')).map((f) => fs.readFileSync(path.join(dir, f))));

function assertNoneIn(bytes: Buffer, secrets: Record<string, string>, where: string): void {
  for (const [name, value] of Object.entries(secrets)) assert.equal(bytes.indexOf(value), -1, `${name} is in clear in ${where}`);
}

/** Connect a pipeline and add a webhook with secrets of their own; set a config var; returns those secrets. */
async function storeSecrets(s: TestServer, app: string, pipeline: string) {
  const secrets = { configValue: marker('cfg'), webhookSecret: marker('hook'), statusToken: marker('status'), appWebhookSecret: marker('appwh'), appWebhookAuth: marker('auth') };
  for (const args of [
    ['apps:create', app], ['config:set', `API_SECRET=${secrets.configValue}`, '-a', app], ['pipelines:create', pipeline],
    ['pipelines:connect', pipeline, '--repo', 'acme/shop', '--secret', secrets.webhookSecret, '--status-token', secrets.statusToken],
    ['webhooks:add', '-a', app, '-i', 'api:release', '-l', 'notify', '-u', 'http://127.0.0.1:9/hook', '-s', secrets.appWebhookSecret, '-t', `Bearer ${secrets.appWebhookAuth}`],
  ]) {
    const r = await cli(s, args, { cwd: tempDir('slipway-cwd-') });
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
  // The values are there: readable through the API (so their absence from the bytes means something).
  assert.equal((await cli(s, ['config:get', 'API_SECRET', '-a', app])).stdout.trim(), secrets.configValue);
  return secrets;
}

type AuditJson = { actor: string; actor_id: string | null; action: string; app_name: string | null; target: string; details: Record<string, unknown> | null; ip: string | null };

test('SQLite: no config value, add-on password, webhook secret or token in clear in the file or WAL; the audit log has every change with its actor', { timeout: 240_000 }, async () => {
  const s = await start();
  const secrets = await storeSecrets(s, 'vault', 'vaultflow');
  const dir = exampleRepo('web-app');
  const build = await cli(s, ['builds:create', '-a', 'vault'], { cwd: dir });
  assert.equal(build.code, 0, build.stdout + build.stderr);
  assert.equal((await cli(s, ['ps:scale', 'web=2', '-a', 'vault'])).code, 0);
  assert.equal((await cli(s, ['config:unset', 'API_SECRET', '-a', 'vault'])).code, 0);
  const redis = await cli(s, ['addons:create', 'heroku-redis', '-a', 'vault']);
  assert.equal(redis.code, 0, redis.stdout + redis.stderr);
  const redisUrl = (await cli(s, ['config:get', 'REDIS_URL', '-a', 'vault'])).stdout.trim();
  const redisPassword = new URL(redisUrl).password;
  assert.ok(redisPassword.length >= 16, `an add-on password to look for (${redisUrl})`);

  // Access changes, and a write with a token of its own: recorded under the token used.
  assert.equal((await cli(s, ['users:create', 'viewer@example.com'])).code, 0);
  assert.equal((await cli(s, ['access:add', 'viewer@example.com', '-a', 'vault', '-p', 'view'])).code, 0);
  const robotToken = (await cli(s, ['authorizations:create', '-d', 'robot', '-s', 'write', '-S'])).stdout.trim();
  const robotSet = await cli(s, ['config:set', 'ROBOT=1', '-a', 'vault'], { env: { SLIPWAY_TOKEN: robotToken } });
  assert.equal(robotSet.code, 0, robotSet.stderr);
  const robot = (JSON.parse((await cli(s, ['authorizations', '--json'])).stdout) as Array<{ id: string; description: string }>).find((x) => x.description === 'robot')!;

  const bytes = sqliteBytes(s.dataDir);
  assertNoneIn(bytes, { ...secrets, redisPassword, adminToken: TOKEN, robotToken }, 'the SQLite store');
  assert.ok(bytes.includes(Buffer.from(`sl1:`)), 'sealed values are there instead');
  const keyFile = path.join(s.dataDir, 'secret.key');
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600, 'the key file made on first start is readable by its owner only');
  assert.equal(bytes.indexOf(fs.readFileSync(keyFile, 'utf8').trim()), -1, 'nor is the key in the store');

  const audit = await cli(s, ['audit', '-a', 'vault', '--json']);
  assert.equal(audit.code, 0, audit.stderr);
  assert.equal(audit.stdout.indexOf(secrets.configValue), -1, 'the audit log names config keys, never values');
  const events = JSON.parse(audit.stdout) as AuditJson[];
  const actions = events.map((e) => e.action);
  for (const a of ['config:set', 'builds:create', 'ps:scale', 'POST /apps/:app/webhooks', 'POST /apps/:app/addons', 'POST /apps/:app/collaborators']) assert.ok(actions.includes(a), `${a} in ${actions.join(', ')}`);
  const byRobot = events.filter((e) => e.actor_id === robot.id);
  assert.deepEqual(byRobot.map((e) => [e.action, e.details]), [['config:set', { set: ['ROBOT'] }]], 'the robot token\'s write is recorded as its own');
  const admin = events.find((e) => e.action === 'ps:scale')!;
  assert.ok(admin.actor && admin.ip && admin.actor_id, 'with an actor, the token it used and an address');
  for (const e of events) assert.equal(e.actor, admin.actor, `${e.action} by the admin user`);
  for (const e of events.filter((x) => x.actor_id !== robot.id)) assert.equal(e.actor_id, admin.actor_id, `${e.action} with the admin token`);
  assert.ok(events.some((e) => e.action === 'config:set' && JSON.stringify(e.details) === JSON.stringify({ unset: ['API_SECRET'] })));
  assert.ok(events.some((e) => e.action === 'ps:scale' && JSON.stringify(e.details).includes('"quantity":2')));
  // The whole log also has the pipeline's connection (no app), and the CLI's table shows it.
  const all = JSON.parse((await cli(s, ['audit', '--json'])).stdout) as AuditJson[];
  assert.ok(all.some((e) => e.target.startsWith('/pipelines/') && e.action === 'PATCH /pipelines/:id'), 'pipelines:connect is recorded');
  assert.match((await cli(s, ['audit', '-a', 'vault'])).stdout, /ps:scale/);
  // And the dashboard's page lists them for a browser.
  const page = await fetch(`${s.url}/audit?app=vault`, { headers: { accept: 'text/html', authorization: `Bearer ${TOKEN}` } });
  assert.equal(page.status, 200);
  assert.match(await page.text(), /data-action="ps:scale"/);
});

test('signed URLs: an upload URL does not download, a URL for one source opens no other, an expired one is refused', { timeout: 60_000 }, async () => {
  const s = await start({ SLIPWAY_SIGNED_URL_MINUTES: '5' });
  const one = (await api<{ source_blob: { get_url: string; put_url: string } }>(s, 'POST', '/sources', {})).json.source_blob;
  const two = (await api<{ source_blob: { get_url: string; put_url: string } }>(s, 'POST', '/sources', {})).json.source_blob;
  assert.notEqual(one.put_url, one.get_url, 'the upload URL differs from the download URL');
  const body = randomBytes(64);
  assert.equal((await fetch(one.put_url, { method: 'PUT', body })).status, 200, 'the upload URL uploads');
  const down = await fetch(one.get_url);
  assert.equal(down.status, 200);
  assert.deepEqual(Buffer.from(await down.arrayBuffer()), body);

  const uploadAsDownload = await fetch(one.put_url);
  assert.equal(uploadAsDownload.status, 401, 'an upload URL used to download is refused');
  assert.equal(((await uploadAsDownload.json()) as { id: string }).id, 'signed_url_invalid');
  assert.equal((await fetch(one.get_url, { method: 'PUT', body })).status, 401, 'a download URL does not upload');
  const otherPath = new URL(two.get_url);
  const misbound = await fetch(`${s.url}${otherPath.pathname}${new URL(one.get_url).search}`);
  assert.equal(misbound.status, 401, 'source one\'s URL does not open source two');
  assert.equal((await fetch(`${s.url}/apps${new URL(one.get_url).search}`)).status, 401, 'nor any other route');

  // An expired URL: signed with the server's own URL key (derived from its key file), its time past.
  const ring = new Keyring(parseKey(fs.readFileSync(path.join(s.dataDir, 'secret.key'), 'utf8').split('\n')[0]!, 'key file'));
  const pathname = new URL(one.get_url).pathname;
  const nowSec = Math.floor(Date.now() / 1000);
  const fresh = await fetch(`${s.url}${pathname}?${signPath(ring.derive('signed urls'), 'GET', pathname, nowSec + 60)}`);
  assert.equal(fresh.status, 200, 'the same signature scheme, not yet expired, works (the refusal below is the expiry)');
  const expired = await fetch(`${s.url}${pathname}?${signPath(ring.derive('signed urls'), 'GET', pathname, nowSec - 1)}`);
  assert.equal(expired.status, 401);
  assert.equal(((await expired.json()) as { id: string }).id, 'signed_url_expired');
  assert.ok(Number(new URL(one.get_url).searchParams.get('exp')) <= nowSec + 5 * 60 + 5, 'URLs expire after SLIPWAY_SIGNED_URL_MINUTES');
  // The dashboard's session key is not the URL key: a URL signature does not sign a session.
  assert.notEqual(ring.derive('signed urls'), ring.derive('dashboard sessions'));
  assert.ok((await fetch(`${s.url}/health`)).ok, 'the server kept running');
});

test('key rotation (key file): secrets:rotate-key re-seals every value, drops the old key, and values stay readable across a restart', { timeout: 90_000 }, async () => {
  let s = await start();
  const secrets = await storeSecrets(s, 'turn', 'turnflow');
  const keyFile = path.join(s.dataDir, 'secret.key');
  const oldId = keyId(parseKey(fs.readFileSync(keyFile, 'utf8').trim(), 'key file'));
  assert.notEqual(sqliteBytes(s.dataDir).indexOf(`sl1:${oldId}:`), -1, 'values are sealed with the first key');
  const r = await cli(s, ['secrets:rotate-key']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${oldId} → [0-9a-f]{8}; \\d+ value\\(s\\) re-sealed`));
  const lines = fs.readFileSync(keyFile, 'utf8').trim().split('\n');
  assert.equal(lines.length, 1, 'the old key is gone from the key file');
  assert.notEqual(keyId(parseKey(lines[0]!, 'key file')), oldId);
  assert.equal(fs.statSync(keyFile).mode & 0o777, 0o600);
  assert.equal((await cli(s, ['config:get', 'API_SECRET', '-a', 'turn'])).stdout.trim(), secrets.configValue, 'readable right after');
  await s.stop();
  assert.equal(sqliteBytes(s.dataDir).indexOf(`sl1:${oldId}:`), -1, 'nothing is sealed with the old key any more');
  assert.notEqual(sqliteBytes(s.dataDir).indexOf(`sl1:${keyId(parseKey(lines[0]!, 'key file'))}:`), -1, 'but with the new one');
  s = await start({}, s.dataDir);
  assert.equal((await cli(s, ['config:get', 'API_SECRET', '-a', 'turn'])).stdout.trim(), secrets.configValue, 'and after a restart');
  const hooks = await api<Array<{ id: string }>>(s, 'GET', '/apps/turn/webhooks');
  assert.equal(hooks.status, 200);
  assert.ok((await cli(s, ['audit', '--json'])).stdout.includes('secrets:rotate-key'), 'the rotation itself is audited');
});

test('key rotation (SLIPWAY_SECRET_KEY): old rows in clear are sealed at start; a new key with the old one as previous re-seals; a missing key stops the start with its id', { timeout: 120_000 }, async () => {
  const [a, b] = [newKeyText(), newKeyText()];
  let s = await start({ SLIPWAY_SECRET_KEY: a });
  const value = marker('env');
  assert.equal((await cli(s, ['apps:create', 'envkey'])).code, 0);
  assert.equal((await cli(s, ['config:set', `K=${value}`, '-a', 'envkey'])).code, 0);
  const refused = await cli(s, ['secrets:rotate-key']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /SLIPWAY_SECRET_KEY_PREVIOUS/);
  await s.stop();
  // A row from before sealing (as an older Slipway wrote it): sealed at the next start.
  const db = new SqliteDatabase(path.join(s.dataDir, 'slipway.db'));
  const appId = (db.prepare('select id from apps where name = ?').get('envkey') as { id: string }).id;
  const legacy = marker('legacy');
  db.prepare('insert into app_config_vars (app_id, key, value) values (?, ?, ?)').run(appId, 'LEGACY', legacy);
  db.close();
  assert.notEqual(sqliteBytes(s.dataDir).indexOf(legacy), -1, 'the legacy value is in clear before the start');

  s = await start({ SLIPWAY_SECRET_KEY: b, SLIPWAY_SECRET_KEY_PREVIOUS: a }, s.dataDir);
  assert.equal((await cli(s, ['config:get', 'K', '-a', 'envkey'])).stdout.trim(), value);
  assert.equal((await cli(s, ['config:get', 'LEGACY', '-a', 'envkey'])).stdout.trim(), legacy);
  await s.stop();
  const bytes = sqliteBytes(s.dataDir);
  assertNoneIn(bytes, { value, legacy }, 'the store after the restart');
  assert.equal(bytes.indexOf(`sl1:${keyId(parseKey(a, 'a'))}:`), -1, 'nothing left under the old key');

  s = await start({ SLIPWAY_SECRET_KEY: b }, s.dataDir);
  assert.equal((await cli(s, ['config:get', 'K', '-a', 'envkey'])).stdout.trim(), value, 'the previous key is no longer needed');
  await s.stop();
  await assert.rejects(start({ SLIPWAY_SECRET_KEY: newKeyText() }, s.dataDir), (e: Error) => e.message.includes(keyId(parseKey(b, 'b'))) && e.message.includes('SLIPWAY_SECRET_KEY_PREVIOUS'),
    'a server without the key refuses to start, naming the key it needs');
  await assert.rejects(start({ SLIPWAY_SECRET_KEY: 'too-short' }, tempDir('slipway-badkey-')), /SLIPWAY_SECRET_KEY: not a 256-bit key/);
});

test('Postgres: a pg_dump holds no config value, webhook secret or token in clear', { skip: needs('postgres'), timeout: 120_000 }, async () => {
  cluster = await startPostgres();
  const url = await freshDatabase(cluster, 'secrets');
  await assert.rejects(start({ DATABASE_URL: url, SLIPWAY_SECRET_KEY: '' }), /set SLIPWAY_SECRET_KEY to the same 256-bit key on each/, 'replicas cannot each make a key file of their own');
  const s = await start({ DATABASE_URL: url });
  const secrets = await storeSecrets(s, 'pgvault', 'pgflow');
  const dump = execFileSync('/usr/lib/postgresql/15/bin/pg_dump', ['--no-owner', url], { maxBuffer: 256 * 1024 * 1024 });
  assert.ok(dump.includes(Buffer.from('sl1:')), 'the dump has the sealed values');
  assertNoneIn(dump, { ...secrets, adminToken: TOKEN }, 'the Postgres dump');
});
