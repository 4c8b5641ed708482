// A router keeps serving while its server is away, and keeps the router lines in a bounded buffer.
// Past it, lines go from the app that holds the most of them, oldest first: one app's flood cannot
// push out another's lines, even older ones. Each app's log then says how many of its lines were
// dropped and since when (Logplex's L10, from heroku[logplex]), and every line the router served is
// either in its app's log or counted there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { startServer, cli, BIN, type TestServer } from './helpers/server.js';
import { freePort } from './helpers/postgres.js';
import { waitFor } from './helpers/runs.js';

let s: TestServer;
before(async () => { s = await startServer(); });
after(async () => { await s?.stop(); });

function get(port: number, host: string, path: string): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); })
      .on('error', () => resolve(0));
  });
}

const logsOf = async (app: string) => (await cli(s, ['logs', '-a', app, '-n', '1500'])).stdout;
const L10 = () => /heroku\[logplex\]: Error L10 \(output buffer overflow\): (\d+) messages dropped since (\S+)\./g;

test('a flood through a router while the server is away drops the flooding app\'s lines, not an older neighbour\'s; its log says how many', { timeout: 120_000 }, async () => {
  for (const a of ['ov-noisy', 'ov-quiet']) assert.equal((await cli(s, ['apps:create', a])).code, 0);
  const token = /(slpr_[\w-]+)/.exec((await cli(s, ['routers:create', 'ov-edge'])).stdout)![1]!;
  const port = await freePort();
  const router = spawn(process.execPath, [BIN, 'router', '--server', s.url, '--token', token, '--port', String(port), '--data-plane', 'node'], {
    stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_ROUTER_LOG_BUFFER_LINES: '100' },
  });
  try {
    // No web dyno: each request is answered 503 with an H14 line.
    await waitFor('the router to route both apps', async () => (await get(port, 'ov-noisy.localhost', '/warm')) === 503 && (await get(port, 'ov-quiet.localhost', '/warm')) === 503, 30_000);
    await waitFor('the first lines to arrive', async () => /path="\/warm"/.test(await logsOf('ov-quiet')), 30_000);
    process.kill(s.proc.pid!, 'SIGSTOP');
    try {
      // The quiet app's lines are the oldest in the buffer when the flood fills it.
      for (let i = 0; i < 5; i++) assert.equal(await get(port, 'ov-quiet.localhost', `/q${i}`), 503);
      for (let i = 0; i < 300; i++) assert.equal(await get(port, 'ov-noisy.localhost', `/n${i}`), 503);
    } finally { process.kill(s.proc.pid!, 'SIGCONT'); }
    const quiet = await waitFor('the quiet app\'s five lines', async () => { const l = await logsOf('ov-quiet'); return (l.match(/path="\/q\d"/g) ?? []).length === 5 && l; }, 60_000);
    const noisy = await waitFor('the noisy app\'s log to say what it lost', async () => { const l = await logsOf('ov-noisy'); return L10().test(l) && l; }, 30_000);
    const said = [...noisy.matchAll(L10())].reduce((n, m) => n + Number(m[1]), 0);
    const kept = new Set(noisy.match(/path="\/n\d+"/g) ?? []).size;
    assert.ok(said >= 150, `at most 100 of the 300 lines fit the router's buffer, yet ${said} were said dropped:\n${noisy}`);
    assert.ok(kept + said >= 300, `${kept} lines arrived and ${said} were said dropped, of 300`);
    assert.ok([...noisy.matchAll(L10())].every((m) => Math.abs(Date.parse(m[2]!) - Date.now()) < 120_000), 'since: when they were dropped');
    assert.doesNotMatch(quiet, /Error L10/, 'the quiet app lost nothing and is told nothing');
  } finally { router.kill('SIGTERM'); }
});
