// `slipway heroku …`: the official CLI through the loopback bridge to the server's TLS listener,
// with nothing but `slipway login`'s URL and token (and the server's CA); the guard keeps the CLI
// (and so the token) off every non-loopback host; plain HTTP to another machine and a server whose
// certificate does not verify are refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { cli, REPO } from '../helpers/server.js';
import { runCommand } from '../helpers/run-command.js';
import { startHerokuServer, type HerokuServer } from './helpers.js';
import { tempDir } from '../helpers/temp.js';

let s: HerokuServer;
let config: string;
const viaBridge = (args: string[], env: Record<string, string> = {}) => cli(s, ['heroku', ...args], {
  env: { SLIPWAY_URL: s.tlsUrl, SLIPWAY_CONFIG_DIR: config, HOME: s.home, NODE_EXTRA_CA_CERTS: s.certFile, ...env }, timeoutMs: 90_000,
});

before(async () => {
  s = await startHerokuServer();
  config = tempDir('slipway-bridge-');
});
after(async () => {
  await s?.stop();
  fs.rmSync(config, { recursive: true, force: true });
});

test('slipway heroku runs the official CLI against the server with nothing to set', { timeout: 180_000 }, async () => {
  const create = await viaBridge(['apps:create', 'br-app']);
  assert.equal(create.code, 0, create.stderr);
  const info = await viaBridge(['apps:info', '-a', 'br-app']);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, /Owner:\s+admin@slipway\.local/);
  const set = await viaBridge(['config:set', 'GREETING=via-bridge', '-a', 'br-app']);
  assert.equal(set.code, 0, set.stderr);
  assert.equal((await viaBridge(['config:get', 'GREETING', '-a', 'br-app'])).stdout, 'via-bridge\n');
  const missing = await viaBridge(['apps:info', '-a', 'no-such-app']);
  assert.notEqual(missing.code, 0, 'the CLI\'s exit code comes back');
  assert.ok(fs.existsSync(path.join(config, 'heroku-bridge.crt')), 'the bridge\'s certificate is kept with the CLI\'s credentials');
});

test('the guard: a command that calls a Heroku-owned host gets nowhere; no connection leaves loopback', { timeout: 120_000 }, async () => {
  const errors = await viaBridge(['apps:errors', '-a', 'br-app']);
  assert.notEqual(errors.code, 0);
  assert.match(errors.stdout + errors.stderr, /refused to connect to api\.metrics\.herokai\.com|ENOTFOUND|ECONNREFUSED/);
  // The guard itself, on what the CLI could do: a name, an address literal, loopback.
  const guard = path.join(REPO, 'dist/src/cli/heroku-guard.js');
  const probe = `const net=require('node:net');const t=(o)=>new Promise((r)=>{const c=net.connect(o);c.on('error',(e)=>r(e.message));c.on('connect',()=>{c.destroy();r('connected')});});
    (async()=>{const srv=net.createServer().listen(0,'127.0.0.1');await new Promise((r)=>srv.on('listening',r));
    console.log(JSON.stringify([await t({host:'api.heroku.com',port:443}),await t({host:'192.0.2.7',port:80}),await t({host:'127.0.0.1',port:srv.address().port})]));srv.close();})()`;
  const r = await runCommand(process.execPath, ['--import', `file://${guard}`, '-e', probe], { env: { PATH: '/usr/bin:/bin' }, timeoutMs: 30_000 });
  const [name, literal, loop] = JSON.parse(r.stdout) as string[];
  assert.match(name!, /refused to connect to api\.heroku\.com/);
  assert.match(literal!, /refused to connect to 192\.0\.2\.7/);
  assert.equal(loop, 'connected');
});

test('plain HTTP to another machine, and a server certificate that does not verify, are refused', { timeout: 120_000 }, async () => {
  const plain = await viaBridge(['apps'], { SLIPWAY_URL: 'http://192.0.2.10:5000' });
  assert.equal(plain.code, 2);
  assert.match(plain.stderr, /plain HTTP on another machine: the token would cross the network in clear/);
  const unverified = await viaBridge(['apps'], { NODE_EXTRA_CA_CERTS: '' });
  assert.notEqual(unverified.code, 0);
  assert.match(unverified.stderr, /cannot reach https:\/\/127\.0\.0\.1:\d+: self.signed certificate/);
});
