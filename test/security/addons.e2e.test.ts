// Attacks on add-on credentials through the real server: a hostile CI run (another tenant) goes
// after an app's Postgres and Redis without their passwords, as the superuser, and with its own
// URL tries what only a superuser may do. Everything listens on the host loopback here, so the
// ports are reachable and only authentication stands in the way.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { startServer, cli, api, type TestServer } from '../helpers/server.js';
import { exampleRepo } from '../helpers/apps.js';
import { needs } from '../helpers/tools.js';
import { redisCommand } from '../helpers/redis.js';
import { attackScript, parseAttacks, assertOwnRoleConfined } from '../helpers/addon-attacks.js';
import { storeKeyring } from '../helpers/sealed.js';

const skip = needs('postgres', 'redis');
let s: TestServer;

// The network keeps other tenants away from these ports (test/security/network.e2e.test.ts); here
// the ports are reachable on purpose (SLIPWAY_NETWORK=host), so the credentials alone must hold.
const REACHABLE = { SLIPWAY_NETWORK: 'host' };
before(async () => { if (!skip) s = await startServer(REACHABLE); });
after(async () => { await s?.stop(); });

const config = async (app: string) => (await api<Record<string, string>>(s, 'GET', `/apps/${app}/config-vars`)).json;

test('another tenant gets nothing from an app\'s Postgres and Redis without their passwords, and its own are not superuser', { skip, timeout: 240_000 }, async () => {
  assert.equal((await cli(s, ['apps:create', 'victim'])).code, 0);
  for (const plan of ['heroku-postgresql', 'heroku-redis']) {
    const r = await cli(s, ['addons:create', plan, '-a', 'victim']);
    assert.equal(r.code, 0, r.stderr);
  }
  const victim = await config('victim');
  const pgAddon = (await api<{ id: string; config_vars: string[] }[]>(s, 'GET', '/apps/victim/addons')).json.find((a) => a.config_vars[0] === 'DATABASE_URL')!;
  const socketDir = path.join(s.dataDir, 'local-agent', 'workspaces', `app-addon-${pgAddon.id}`);
  const db = new pg.Client({ connectionString: victim['DATABASE_URL'] });
  await db.connect();
  await db.query("CREATE TABLE secrets (v text); INSERT INTO secrets VALUES ('victim-row-7f3a')");
  await db.end();
  assert.match(await redisCommand(victim['REDIS_URL']!, ['SET', 'secret', 'victim-key-7f3a']), /^\+OK/);

  // The attacker: a CI run in another pipeline, with add-ons of its own.
  assert.equal((await cli(s, ['pipelines:create', 'attacker'])).code, 0);
  const repo = exampleRepo('addons-sql', (d) => {
    fs.writeFileSync(path.join(d, 'app.json'), JSON.stringify({ environments: { test: {
      addons: ['heroku-postgresql:in-dyno', 'heroku-redis:in-dyno'], buildpacks: [{ url: './bp' }], scripts: { test: './attack.sh' },
    } } }));
    fs.writeFileSync(path.join(d, 'attack.sh'), attackScript({ postgres: victim['DATABASE_URL']!, redis: victim['REDIS_URL']!, socketDir }), { mode: 0o755 });
  });
  const run = await cli(s, ['ci:run', '-p', 'attacker'], { cwd: repo, timeoutMs: 200_000 });
  const out = run.stdout + run.stderr;
  const r = parseAttacks(out);
  assert.equal(Object.keys(r).length, 22, out);

  assert.match(r['superuser, no password']!, /rejects connection for host .* user "postgres"/);
  // An app's Postgres listens on TCP only: there is no socket file to try (a path that long could not even be one).
  assert.match(r['superuser over the socket path']!, /rejects connection|No such file|could not connect|is too long/);
  assert.deepEqual(fs.readdirSync(socketDir).filter((f) => f.startsWith('.s.PGSQL')), [], 'no Unix-domain socket beside the victim\'s data');
  assert.match(r['victim role, no password']!, /no password supplied|password authentication failed/);
  assert.match(r['victim role, guessed password']!, /password authentication failed for user/);
  assert.match(r['own credentials, victim server']!, /password authentication failed for user/);
  assertOwnRoleConfined(r);
  assert.match(r['pg_read_file']!, /permission denied for function pg_read_file/);
  assert.match(r['own role is not superuser']!, /^f\s*$/);
  assert.match(r['victim redis, no password']!, /NOAUTH/);
  assert.match(r['victim redis, own password']!, /WRONGPASS/);
  assert.match(r['CONFIG SET dir']!, /NOPERM/);
  assert.match(r['CONFIG GET']!, /NOPERM/);
  assert.match(r['MODULE LOAD']!, /NOPERM|MODULE command not allowed/);
  assert.match(r['DEBUG']!, /NOPERM|DEBUG command not allowed/);
  assert.match(r['ACL SETUSER']!, /NOPERM/);
  assert.match(r['REPLICAOF']!, /NOPERM/);
  assert.match(r['own redis works']!, /^PONG\s*$/);
  assert.doesNotMatch(out, /victim-row-7f3a|victim-key-7f3a|uid=\d+/, 'nothing of the victim, no command output');
  assert.ok(!out.includes(new URL(victim['DATABASE_URL']!).password), 'the victim\'s password is nowhere in the attacker\'s output');

  // From the host too (the cluster has no socket, only its address), the superuser is refused and its role asks for its password.
  const { hostname: host, port } = new URL(victim['DATABASE_URL']!);
  await assert.rejects(new pg.Client({ host, port: Number(port), user: 'postgres', database: 'postgres' }).connect(), /pg_hba\.conf rejects connection .* user "postgres"/);
  await assert.rejects(new pg.Client({ host, port: Number(port), user: new URL(victim['DATABASE_URL']!).username, database: 'postgres' }).connect(), /password/);

  // The victim's data is intact and still only the victim gets in.
  const again = new pg.Client({ connectionString: victim['DATABASE_URL'] });
  await again.connect();
  assert.deepEqual((await again.query('SELECT v FROM secrets')).rows, [{ v: 'victim-row-7f3a' }]);
  await again.end();
  assert.match(await redisCommand(victim['REDIS_URL']!, ['GET', 'secret']), /victim-key-7f3a/);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});

test('the template cluster every add-on is copied from lets nobody in', { skip }, () => {
  const hba = fs.readFileSync(path.join(s.dataDir, 'addon-templates', 'postgres-15', 'pg_hba.conf'), 'utf8');
  assert.doesNotMatch(hba.replace(/#.*/g, ''), /\btrust\b/);
});

test('an add-on made before add-ons had passwords is not started again (it would let anyone in)', { skip, timeout: 120_000 }, async () => {
  assert.equal((await cli(s, ['apps:create', 'oldtimer'])).code, 0);
  assert.equal((await cli(s, ['addons:create', 'heroku-postgresql', '-a', 'oldtimer'])).code, 0);
  const url = new URL((await config('oldtimer'))['DATABASE_URL']!);
  await s.stop();
  // What an older Slipway stored: the superuser, no password.
  const Sqlite = (await import('better-sqlite3')).default;
  const store = new Sqlite(path.join(s.dataDir, 'slipway.db'));
  // URLs are sealed at rest: the row is found by opening each, and the old URL sealed as the server would.
  const ring = storeKeyring(s);
  const row = (store.prepare('SELECT id, url FROM app_addons').all() as Array<{ id: string; url: string }>).find((r) => ring.open(r.url) === url.toString())!;
  store.prepare('UPDATE app_addons SET url = ? WHERE id = ?').run(ring.seal(`postgres://postgres@${url.host}/postgres`), row.id);
  store.close();
  s = await startServer(REACHABLE, s.dataDir);
  assert.match(s.output(), /starting add-on DATABASE \(heroku-postgresql\): it was made before add-ons had passwords .*recreate it/);
  await assert.rejects(new pg.Client({ connectionString: `postgres://postgres@${url.host}/postgres` }).connect(), /ECONNREFUSED/);
  assert.equal((await fetch(`${s.url}/health`)).status, 200);
});
