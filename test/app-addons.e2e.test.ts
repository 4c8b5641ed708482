// App add-ons: a real Postgres and a real Redis attached as config vars, their data kept across a
// server restart, removed with the add-on (and with the app).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { startServer, cli, api, type TestServer } from './helpers/server.js';
import { waitFor } from './helpers/runs.js';
import { redisCommand } from './helpers/redis.js';
import { needs } from './helpers/tools.js';
import { portOpen } from './helpers/port-open.js';

let s: TestServer | undefined;
after(async () => { await s?.stop(); });

const config = async (app: string) => (await api<Record<string, string>>(s!, 'GET', `/apps/${app}/config-vars`)).json;

test('heroku-postgresql and heroku-redis for an app: attached, durable across restarts, destroyed', { timeout: 240_000, skip: needs('postgres', 'redis') }, async () => {
  s = await startServer();
  assert.equal((await cli(s, ['apps:create', 'stock'])).code, 0);
  const unknown = await cli(s, ['addons:create', 'heroku-kafka', '-a', 'stock']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown add-on "heroku-kafka"\. Slipway provides heroku-postgresql and heroku-redis/);

  const created = await cli(s, ['addons:create', 'heroku-postgresql', '-a', 'stock']);
  assert.equal(created.code, 0, created.stderr);
  const redis = await cli(s, ['addons:create', 'heroku-redis', '-a', 'stock', '--as', 'CACHE']);
  assert.equal(redis.code, 0, redis.stderr);
  const dup = await cli(s, ['addons:create', 'heroku-postgresql', '-a', 'stock']);
  assert.equal(dup.code, 2);
  assert.match(dup.stderr, /already has an add-on attached as DATABASE_URL/);

  const vars = await config('stock');
  // Credentials in the URLs, shaped like Heroku's.
  assert.match(vars['DATABASE_URL']!, /^postgres:\/\/u[0-9a-f]{14}:p[0-9a-f]{64}@\d+\.\d+\.\d+\.\d+:\d+\/d[0-9a-f]{14}$/);
  assert.match(vars['CACHE_URL']!, /^redis:\/\/default:p[0-9a-f]{64}@\d+\.\d+\.\d+\.\d+:\d+$/);
  const rel = await cli(s, ['releases', '-a', 'stock']);
  assert.match(rel.stdout, /Attach DATABASE \(heroku-postgresql\)/);
  assert.doesNotMatch(rel.stdout, new RegExp(vars['DATABASE_URL']!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')), 'no URL in release descriptions');

  const db = new pg.Client({ connectionString: vars['DATABASE_URL'] });
  await db.connect();
  await db.query('CREATE TABLE stock (sku text PRIMARY KEY, qty int); INSERT INTO stock VALUES ($$a-1$$, 7)');
  await db.end();
  assert.equal(await redisCommand(vars['CACHE_URL']!, ['SET', 'k', 'v']), '+OK\r\n');

  // A restart: the add-ons come back on the same URLs with their data.
  const firstLog = s.output();
  const stopping = Date.now();
  await s.stop();
  // Nothing runs but two add-on servers: a clean stop is prompt (the local agent's 20 s long poll of
  // its desired dynos used to keep its process, and so the server's stop, waiting ~19 s).
  assert.ok(Date.now() - stopping < 10_000, `a clean stop took ${Date.now() - stopping} ms`);
  assert.equal(await portOpen(vars['DATABASE_URL']!), false, 'the add-on stops with the server');
  s = await startServer({}, s.dataDir);
  const again = new pg.Client({ connectionString: vars['DATABASE_URL'] });
  await again.connect();
  assert.deepEqual((await again.query('SELECT qty FROM stock')).rows, [{ qty: 7 }]);
  await again.end();
  assert.match(await redisCommand(vars['CACHE_URL']!, ['GET', 'k']), /\$1\r\nv/);
  // The passwords came back with the servers, and are the only way in.
  const wrongPassword = new URL(vars['DATABASE_URL']!);
  wrongPassword.password = 'p' + '0'.repeat(64);
  await assert.rejects(new pg.Client({ connectionString: wrongPassword.toString() }).connect(), /password authentication failed/);
  assert.match(await redisCommand(vars['CACHE_URL']!, ['GET', 'k'], { auth: false }), /^-NOAUTH/);
  const passwords = [vars['DATABASE_URL']!, vars['CACHE_URL']!].map((url) => new URL(url).password);
  assert.ok(passwords.every((p) => !(firstLog + s!.output()).includes(p)), 'no password in the server\'s log');

  const list = await cli(s, ['addons', '-a', 'stock']);
  assert.match(list.stdout, /heroku-postgresql\s+DATABASE_URL/);
  const destroyed = await cli(s, ['addons:destroy', 'CACHE', '-a', 'stock', '--confirm', 'stock']);
  assert.equal(destroyed.code, 0, destroyed.stderr);
  assert.equal((await config('stock'))['CACHE_URL'], undefined);
  await waitFor('redis to stop', async () => !(await portOpen(vars['CACHE_URL']!)));

  assert.equal((await cli(s, ['apps:destroy', '-a', 'stock', '--confirm', 'stock'])).code, 0);
  await waitFor('postgres to stop with its app', async () => !(await portOpen(vars['DATABASE_URL']!)));
});
