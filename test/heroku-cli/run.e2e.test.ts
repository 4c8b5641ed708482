// `heroku run` as a user types it: an interactive shell on a pseudo-terminal in a one-off dyno
// (window size, Ctrl-C, exit code with -x), a script piped to `heroku run bash`, and the one-off's
// lines in the app log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import tls from 'node:tls';
import { cli, TOKEN } from '../helpers/server.js';
import { repoWithBuildpack } from '../helpers/apps.js';
import { startHerokuServer, heroku, herokuEnv, HEROKU_BIN, type HerokuServer } from './helpers.js';
import { herokuOnTerminal } from './terminal.js';

let s: HerokuServer;
const A = 'hk-run';

before(async () => {
  s = await startHerokuServer();
  const dir = repoWithBuildpack({}, 'echo "from the slug" > "$1/marker.txt"');
  assert.equal((await heroku(s, ['apps:create', A])).code, 0);
  assert.equal((await heroku(s, ['config:set', 'GREETING=hola', '-a', A])).code, 0);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: dir });
  assert.equal(b.code, 0, b.stdout + b.stderr);
});
after(async () => { await s.stop(); });

test('heroku run bash on a terminal: the slug and config, a pseudo-terminal of the CLI\'s size, Ctrl-C, exit code', { timeout: 120_000 }, async () => {
  const t = herokuOnTerminal(s, ['run', '--exit-code', '-a', A, '--', 'bash']);
  t.type('echo MARK-$((6*7))\r');
  await t.until('the shell to answer', /MARK-42/);
  t.type('echo "$GREETING $DYNO $(cat marker.txt)"; tty; stty size\r');
  await t.until('the dyno to describe itself', /hola run\.\d+ from the slug\r*\n\/dev\/pts\/\d+\r*\n30 100/);
  // The terminal does not let the one-off out of its sandbox: the tenant's uid, Slipway's data hidden.
  t.type(`echo "uid=$(id -u) data=$(ls -A ${s.dataDir}/logs 2>/dev/null | wc -l)"\r`);
  await t.until('the sandbox facts', /uid=\d+ data=\d+/);
  const facts = /uid=(\d+) data=(\d+)/.exec(t.screen().split('uid=$(id -u)').pop()!)!;
  assert.notEqual(facts[1], '0', 'not root');
  assert.equal(facts[2], '0', 'the server\'s logs are out of sight');
  // Ctrl-C interrupts the foreground command in the dyno, not the session.
  const before = Date.now();
  t.type('sleep 60\r');
  await new Promise((r) => setTimeout(r, 1500));
  t.type('\u0003');
  t.type('echo after-$((1+1))\r');
  await t.until('the shell after Ctrl-C', /after-2/, 20_000);
  assert.ok(Date.now() - before < 20_000, 'the sleep was interrupted');
  t.type('exit 7\r');
  assert.equal(await t.exited, 7, t.screen());
});

test('heroku run bash < script.sh runs the script with its stdin; -x gives its exit code', { timeout: 90_000 }, async () => {
  const script = path.join(s.home, 'script.sh');
  fs.writeFileSync(script, 'echo "script sees $GREETING"\nread answer\nthe answer line\necho "read: $answer"\nexit 4\n');
  const fd = fs.openSync(script, 'r');
  const p = spawn(HEROKU_BIN, ['run', '-x', '-a', A, 'bash'], { cwd: s.home, env: herokuEnv(s), stdio: [fd, 'pipe', 'pipe'] });
  fs.closeSync(fd);
  let out = '';
  p.stdout!.on('data', (c) => { out += c; });
  p.stderr!.on('data', (c) => { out += c; });
  const code = await new Promise<number>((r) => p.once('close', (c) => r(c ?? -1)));
  assert.equal(code, 4, out);
  assert.match(out, /^script sees hola$/m);
  assert.match(out, /^read: the answer line$/m, 'the script read the next line of its own stdin');
  // Without a terminal there is no echo of the input.
  assert.doesNotMatch(out, /echo "script sees/);
});

test('a forged or second rendezvous gets nothing of the dyno', { timeout: 60_000 }, async () => {
  const res = await fetch(`${s.url}/apps/${A}/dynos`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, accept: 'application/vnd.heroku+json; version=3', 'content-type': 'application/json' },
    body: JSON.stringify({ command: 'cat', attach: true, env: { COLUMNS: 80, LINES: 24 } }),
  });
  assert.equal(res.status, 201, await res.clone().text());
  // Over plain HTTP the attach URL is an HTTP stream; the rendezvous path is the same, signed.
  const url = new URL(((await res.json()) as { attach_url: string }).attach_url);
  const sig = url.searchParams.get('sig')!;
  const target = `${url.pathname.slice(1)}?exp=${url.searchParams.get('exp')}&sig=`;
  const forged = await rendezvous(`${target}${sig.slice(0, -2)}${sig.endsWith('aa') ? 'bb' : 'aa'}`, 'typed-by-attacker\n');
  assert.match(forged, /not valid/);
  const real = rendezvous(`${target}${sig}`, 'typed-by-owner\n');
  await new Promise((r) => setTimeout(r, 1500));
  const second = await rendezvous(`${target}${sig}`, 'typed-by-second\n');
  assert.match(second, /already has a client attached/);
  const out = await real;
  assert.match(out, /typed-by-owner/);
  assert.doesNotMatch(out, /typed-by-(attacker|second)/);
});

/** Speak the rendezvous protocol: the target line, then `input` once the first line came back; all that came back until close (or 5 s). */
function rendezvous(target: string, input: string): Promise<string> {
  return new Promise((resolve) => {
    const c = tls.connect(Number(new URL(s.tlsUrl).port), '127.0.0.1', { rejectUnauthorized: false }, () => c.write(target + '\r\n'));
    let out = '';
    let sent = false;
    const done = () => { c.destroy(); resolve(out); };
    c.on('data', (d) => { out += d; if (!sent) { sent = true; c.write(input); } });
    c.on('close', done);
    c.on('error', done);
    setTimeout(done, 5000).unref();
  });
}

test('a command that reads stdin gets end of input when the CLI\'s stdin is empty', { timeout: 60_000 }, async () => {
  const r = await heroku(s, ['run', '-a', A, 'cat; echo cat-done']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^cat-done$/m);
});

test('run:detached output and every one-off\'s state lines reach the app log', { timeout: 90_000 }, async () => {
  const d = await heroku(s, ['run:detached', '-a', A, 'echo detached-$((3*3))']);
  assert.equal(d.code, 0, d.stderr);
  const name = /done, (run\.\d+)/.exec(d.stderr + d.stdout)?.[1];
  assert.ok(name, d.stderr);
  let logs = '';
  for (let i = 0; i < 100 && !/Process exited with status 0/.test(logs); i++) {
    await new Promise((r) => setTimeout(r, 200));
    logs = (await heroku(s, ['logs', '-a', A, '-n', '500', '--dyno', name])).stdout;
  }
  assert.match(logs, new RegExp(`app\\[${name.replace('.', '\\.')}\\]: detached-9`));
  assert.match(logs, new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: Starting process with command`));
  assert.match(logs, new RegExp(`heroku\\[${name.replace('.', '\\.')}\\]: Process exited with status 0`));
});

test('input a one-off does not read is held back at the client, not kept in the server\'s memory', { timeout: 60_000 }, async () => {
  const started = await fetch(`${s.url}/apps/${A}/dynos`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ command: 'sleep 20', attach: true }) });
  assert.equal(started.status, 201);
  const { id } = await started.json() as { id: string };
  // `slipway run`'s input stream, as fast as the server takes it, for 8 s: 1 MB chunks, up to 512 MB.
  let sent = 0;
  const chunk = new Uint8Array(1024 * 1024);
  const body = new ReadableStream<Uint8Array>({ pull(c) { if (sent >= 512 * chunk.length) { c.close(); return; } sent += chunk.length; c.enqueue(chunk); } });
  await fetch(`${s.url}/apps/${A}/dynos/${id}/input`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' }, body, duplex: 'half', signal: AbortSignal.timeout(8000),
  } as RequestInit).catch(() => undefined);
  // Socket buffers on the way hold a few MB; a server reading it all into memory takes hundreds.
  assert.ok(sent < 64 * chunk.length, `the server took ${sent / chunk.length} MB of input the one-off never read`);
  await fetch(`${s.url}/apps/${A}/dynos/${id}/actions/stop`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
});
