// Start-up checks through the real CLI: a data folder sandboxed commands cannot reach (a checkout
// under a 0700 folder such as /root) stops `slipway server` with the fix, before anything is
// created; once the folder is opened, the same data folder runs a test run in the sandbox.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { BIN, TOKEN, startServer, cli } from '../helpers/server.js';
import { freePort } from '../helpers/postgres.js';
import { runCommand } from '../helpers/run-command.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { needs } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp.js';

const skip = needs('bwrap');
const root = tempDir('slipway-closed-');
after(() => fs.rmSync(root, { recursive: true, force: true }));

/** `slipway ARGS` with a server's settings; the server must end by itself (a refusal), else the test times out. */
const slipway = async (args: string[], env: Record<string, string>) => runCommand(process.execPath, [BIN, ...args], {
  env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: root, PORT: String(await freePort()), SLIPWAY_ROUTER_PORT: String(await freePort()), SLIPWAY_ADMIN_TOKEN: TOKEN, ...env },
  timeoutMs: 30_000,
});

test('a data folder under a 0700 folder: server and doctor refuse, naming the folder and the chmod; nothing is created', { skip, timeout: 60_000 }, async () => {
  fs.chmodSync(root, 0o700);
  const dataDir = path.join(root, 'checkout', '.slipway');
  const server = await slipway(['server'], { SLIPWAY_DATA_DIR: dataDir });
  assert.equal(server.code, 1, server.output);
  assert.match(server.stderr, /cannot start: 1 problem on this host/);
  assert.match(server.stderr, new RegExp(`FATAL +data folder: sandboxed commands cannot reach the data folder ${dataDir}: others may not enter ${root}\\n`));
  assert.match(server.stderr, new RegExp(`fix: chmod o\\+x ${root} .*SLIPWAY_DATA_DIR=`));
  assert.equal(fs.existsSync(path.join(root, 'checkout')), false, 'nothing was created');
  const doctor = await slipway(['doctor', '--data-dir', dataDir], {});
  assert.equal(doctor.code, 1, doctor.output);
  assert.match(doctor.stdout, /^FATAL +data folder: /m);
  assert.match(doctor.stdout, /^ok +sandbox: bubblewrap/m);
});

test('an unusable sandbox user, and PostgreSQL binaries others may not run, are refused too, one block each', { skip, timeout: 60_000 }, async () => {
  const pgBin = path.join(root, 'pg-bin');
  fs.mkdirSync(pgBin, { recursive: true });
  for (const b of ['initdb', 'pg_ctl', 'postgres']) fs.writeFileSync(path.join(pgBin, b), '#!/bin/sh\nexit 1\n', { mode: 0o700 });
  fs.chmodSync(root, 0o755);
  const r = await slipway(['server'], { SLIPWAY_DATA_DIR: path.join(root, 'data'), SLIPWAY_SANDBOX_USER: 'no-such-user-here', SLIPWAY_PG_BIN: pgBin });
  assert.equal(r.code, 1, r.output);
  assert.match(r.stderr, /cannot start: 2 problems/);
  assert.match(r.stderr, /FATAL +sandbox user: The sandbox user "no-such-user-here" does not exist/);
  assert.match(r.stderr, new RegExp(`FATAL +PostgreSQL: initdb, pg_ctl, postgres in ${pgBin} may not be executed by others`));
});

test('the same folder opened (o+x): the server starts and a test run reaches its workspace in the sandbox', { skip, timeout: 180_000 }, async () => {
  fs.chmodSync(root, 0o711);
  const s = await startServer({}, path.join(root, 'open', '.slipway'));
  try {
    assert.match(s.output(), /sandbox: bwrap/);
    const app = repoWithBuildpack({ environments: { test: { scripts: { test: 'echo "ok 1 - reached $PWD"; echo 1..1' } } } }, 'echo compiled as $(id -u)');
    assert.equal((await cli(s, ['pipelines:create', 'reach'])).code, 0);
    const r = await cli(s, ['ci:run', '-p', 'reach'], { cwd: app });
    assert.equal(r.code, 0, r.stdout + r.stderr + s.output());
    assert.match(r.stdout, /compiled as [1-9]\d*\n/, 'the buildpack ran as an unprivileged uid');
    assert.match(r.stdout, /Test run #1 succeeded: 1 passed/);
    fs.rmSync(app, { recursive: true, force: true });
    assert.equal((await fetch(s.url + '/health')).status, 200, 'the server still answers');
  } finally { await s.stop(); }
});
