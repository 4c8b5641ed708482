// Add-on commands of the heroku CLI against Slipway's real Postgres and Redis add-ons: addons:plans,
// addons:info, and the data-API commands (pg:info, pg:credentials:url, pg:psql, redis:info,
// redis:cli) answered by Slipway at HEROKU_DATA_HOST, never by a Heroku host.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { api } from '../helpers/server.js';
import { startHerokuServer, heroku, herokuEnv, HEROKU_BIN, type HerokuServer } from './helpers.js';

let s: HerokuServer;
const A = 'hk-data';
const h = (...args: string[]) => heroku(s, args, { timeoutMs: 120_000 });

before(async () => {
  s = await startHerokuServer();
  assert.equal((await h('apps:create', A)).code, 0);
  const pgAdd = await h('addons:create', 'heroku-postgresql:essential-0', '-a', A);
  assert.equal(pgAdd.code, 0, pgAdd.stderr);
  const redisAdd = await h('addons:create', 'heroku-redis:mini', '-a', A);
  assert.equal(redisAdd.code, 0, redisAdd.stderr);
});
after(async () => { await s.stop(); });

test('addons:plans lists the plans of a service; addons:info shows one add-on', { timeout: 60_000 }, async () => {
  const plans = await h('addons:plans', 'heroku-postgresql');
  assert.equal(plans.code, 0, plans.stderr);
  assert.match(plans.stdout, /default\s+heroku-postgresql:essential-0\s+essential-0\s+free/);
  const missing = await h('addons:plans', 'heroku-kafka');
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /No add-on service heroku-kafka/);
  const info = await h('addons:info', 'heroku-postgresql', '-a', A);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /=== heroku-postgresql-[0-9a-f]{8}/);
  assert.match(info.stdout, /Plan:\s+heroku-postgresql:essential-0/);
  assert.match(info.stdout, new RegExp(`Attachments:\\s+${A}::DATABASE`));
  assert.match(info.stdout, new RegExp(`Owning app:\\s+${A}`));
});

test('pg:info, pg:credentials:url and pg:psql reach the app\'s real database', { timeout: 90_000 }, async () => {
  const info = await h('pg:info', '-a', A);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /=== DATABASE_URL/);
  assert.match(info.stdout, /Plan:\s+essential-0/);
  assert.match(info.stdout, /Status:\s+Available/);
  assert.match(info.stdout, /PG Version:\s+1\d\.\d+/);
  const url = (await api<Record<string, string>>(s, 'GET', `/apps/${A}/config-vars`)).json['DATABASE_URL']!;
  // The data API hands out credentials: without a valid token it answers 401 and nothing else.
  const addonId = (await api<{ id: string; plan: { name: string } }[]>(s, 'GET', `/apps/${A}/addons`)).json.find((x) => x.plan.name.startsWith('heroku-postgresql'))!.id;
  for (const auth of [undefined, 'Bearer not-a-token', `Basic ${Buffer.from(':not-a-token').toString('base64')}`]) {
    const res = await fetch(`${s.url}/postgres/v0/databases/${addonId}/credentials/default`, { headers: auth ? { authorization: auth } : {} });
    assert.equal(res.status, 401, auth ?? 'no credentials');
    assert.doesNotMatch(await res.text(), /password/);
  }
  const creds = await h('pg:credentials:url', '-a', A);
  assert.equal(creds.code, 0, creds.stderr);
  assert.match(creds.stdout, /Connection information for default credential/);
  assert.equal(new URL(/postgres:\/\/\S+/.exec(creds.stdout)![0]).password, new URL(url).password);
  // Slipway's add-on Postgres has no TLS: psql needs PGSSLMODE=prefer (the CLI asks for require off localhost).
  const psql = await heroku(s, ['pg:psql', '-a', A, '-c', 'select 40 + 2 as answer'], { env: { PGSSLMODE: 'prefer' } });
  assert.equal(psql.code, 0, psql.stderr);
  assert.match(psql.stdout, /answer\s*\n-+\s*\n\s*42/);
});

test('redis:info and redis:cli (after --confirm: the connection is not TLS) reach the app\'s real Redis', { timeout: 90_000 }, async () => {
  const info = await h('redis:info', '-a', A);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /=== heroku-redis-[0-9a-f]{8} \(REDIS_URL\)/);
  assert.match(info.stdout, /Plan:\s+mini/);
  const p = spawn(HEROKU_BIN, ['redis:cli', '-a', A, '--confirm', A], { cwd: s.home, env: herokuEnv(s), stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  p.stdout.on('data', (c) => { out += c; });
  p.stderr.on('data', (c) => { out += c; });
  const closed = new Promise<number>((r) => p.once('close', (c) => r(c ?? -1)));
  const until = async (re: RegExp) => { for (let i = 0; i < 200 && !re.test(out); i++) await new Promise((r) => setTimeout(r, 100)); assert.match(out, re); };
  await until(/Connecting to heroku-redis-[0-9a-f]{8} \(REDIS_URL\)/);
  p.stdin.write('SET greeting hola\n');
  await until(/OK/);
  p.stdin.write('GET greeting\n');
  await until(/hola/);
  p.stdin.end('QUIT\n');
  await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
  if (p.exitCode === null) p.kill();
});
