// Without CAP_NET_ADMIN (a server not run as root): spaces:create fails with a clear error id and
// message, and everything else keeps working. As root, the server is started as `nobody` to get there.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { BIN, TOKEN, cli } from './helpers/server.js';
import { freePort } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';

const dataDir = tempDir('slipway-nocap-');
const root = process.getuid?.() === 0;
let stop = async () => {};
after(async () => { await stop(); fs.rmSync(dataDir, { recursive: true, force: true }); });

test('spaces:create without CAP_NET_ADMIN: spaces_unavailable, and apps still work', { timeout: 60_000 }, async () => {
  if (root) fs.chownSync(dataDir, 65534, 65534);
  const port = await freePort();
  const env = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dataDir, PORT: String(port), SLIPWAY_ROUTER_PORT: String(await freePort()), SLIPWAY_DATA_DIR: dataDir, SLIPWAY_ADMIN_TOKEN: TOKEN };
  const argv = root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--', process.execPath, BIN, 'server'] : [process.execPath, BIN, 'server'];
  const proc = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout.on('data', (c) => { out += c; });
  proc.stderr.on('data', (c) => { out += c; });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  stop = async () => { if (proc.exitCode === null) { proc.kill('SIGTERM'); await exited; } };
  const s = { url: `http://127.0.0.1:${port}` };
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited: ${out}`);
    if (await fetch(s.url + '/health').then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error(`server did not start: ${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const r = await cli(s, ['spaces:create', 'no-caps', '--cidr', '10.217.0.0/16']);
  assert.equal(r.code, 1, r.stdout + r.stderr + out);
  assert.match(r.stderr + out, /Private spaces need to create bridges, namespaces and firewall rules, which this server cannot do: .*Run the server as root \(CAP_NET_ADMIN\).*\(spaces_unavailable\)/);
  // Every step names the server's own output when it fails (it runs as another user, in CI too).
  assert.match((await cli(s, ['spaces'])).stdout, /No spaces yet/, out);
  const app = await cli(s, ['apps:create', 'still-works']);
  assert.equal(app.code, 0, app.stderr + out);
  assert.match((await cli(s, ['apps'])).stdout, /still-works/, out);
  const inSpace = await cli(s, ['apps:create', 'in-space', '--space', 'no-caps']);
  assert.equal(inSpace.code, 2, `space_not_found: ${inSpace.stderr}${out}`);
});
