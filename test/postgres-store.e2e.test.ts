// The whole flow with Postgres as the state store (DATABASE_URL), as a scaled deployment runs it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { startPostgres, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

const skip = needs('postgres');
let cluster: PgCluster;
let s: TestServer;

before(async () => {
  if (skip) return;
  cluster = await startPostgres();
  s = await startServer({ DATABASE_URL: cluster.url });
});
after(async () => { await s?.stop(); cluster?.stop(); });

test('a test run end to end on a Postgres store: counts, numbering, flaky marks, login', { skip, timeout: 120_000 }, async () => {
  assert.equal(fs.existsSync(path.join(s.dataDir, 'slipway.db')), false, 'no SQLite file: the state is in Postgres');
  await cli(s, ['pipelines:create', 'pgstore']);
  const dir = exampleRepo('node-tap-mixed');
  const first = await cli(s, ['ci:run', '-p', 'pgstore'], { cwd: dir });
  assert.equal(first.code, 1);
  assert.match(first.stdout, /Test run #1 failed: 3 passed, 1 failed, 1 skipped, 1 todo/);
  const again = await cli(s, ['ci:rerun', '-p', 'pgstore']);
  assert.match(again.stdout, /Test run #2 failed: 3 passed, 1 failed/);

  // `slipway login` stores the URL and token; later commands need neither flag nor variable.
  const config = tempDir('slipway-login-');
  const env = { SLIPWAY_CONFIG_DIR: config, SLIPWAY_URL: '', SLIPWAY_TOKEN: '' };
  const { TOKEN } = await import('./helpers/server.js');
  const login = await cli(s, ['login', '--url', s.url, '--token', TOKEN], { env: { SLIPWAY_CONFIG_DIR: config } });
  assert.equal(login.code, 0, login.stderr);
  assert.equal((fs.statSync(path.join(config, 'credentials.json')).mode & 0o777), 0o600, 'the token is stored readable by its owner only');
  const list = await cli({ url: '' }, ['ci', '-p', 'pgstore'], { env });
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /#2\s+failed/);
  const refused = await cli(s, ['login', '--url', s.url, '--token', 'wrong-token-wrong-token'], { env: { SLIPWAY_CONFIG_DIR: tempDir('slipway-login-') } });
  assert.equal(refused.code, 3);
});
