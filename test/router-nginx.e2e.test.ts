// The nginx data plane (SLIPWAY_ROUTER=nginx) end to end through the real server, CLI and the
// nginx the router process starts itself: the same routing, headers, log lines, errors,
// WebSockets, scaling and zero-downtime deploys as the Node router.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { startServer, cli, api, viaRouter, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll, repoWithFiles } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { upgradeEcho } from './helpers/upgrade.js';
import { steadyLoad } from './helpers/load.js';
import { needs } from './helpers/tools.js';
import { freePort } from './helpers/postgres.js';
import { tempDir } from './helpers/temp.js';

const missing = needs('nginx');

let s: TestServer;
let dir: string;
let tlsPort: number;
const A = 'ngshop';
const run = (args: string[]) => cli(s, [...args, '-a', A], { cwd: dir });
const get = (p: string, headers: Record<string, string> = {}) => new Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
  http.get({ host: '127.0.0.1', port: s.routerPort, path: p, headers: { host: `${A}.localhost`, ...headers }, agent: false }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
  }).on('error', reject);
});
const post = (p: string) => new Promise<[number, string]>((resolve, reject) => {
  const req = http.request({ method: 'POST', host: '127.0.0.1', port: s.routerPort, path: p, headers: { host: `${A}.localhost` }, agent: false }, (res) => {
    let body = '';
    res.on('data', (c) => { body += c; });
    res.on('end', () => resolve([res.statusCode ?? 0, body]));
  });
  req.on('error', reject);
  req.end();
});
/** nginx processes whose command line names this server's data dir. */
const nginxProcesses = () => fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).filter((p) => {
  try { return fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(path.join(s.dataDir, 'nginx')); } catch { return false; }
});

/**
 * nginx reloads overlap briefly (the master lets old workers accept for 100 ms more): wait until
 * its one worker (worker_processes 1) is the only one left.
 */
const settled = async () => {
  const master = fs.readFileSync(path.join(s.dataDir, 'nginx', 'nginx.pid'), 'utf8').trim();
  await waitFor('nginx to finish its reload', async () => {
    const kids = fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    return kids.length === 1 && kids.every((k) => { try { return !fs.readFileSync(`/proc/${k}/cmdline`, 'utf8').includes('shutting down'); } catch { return true; } });
  });
};

before(async () => {
  if (missing) return;
  tlsPort = await freePort();
  s = await startServer({ SLIPWAY_ROUTER: 'nginx', SLIPWAY_BOOT_TIMEOUT_SECONDS: '20', SLIPWAY_ROUTER_TIMEOUT_SECONDS: '2', SLIPWAY_ROUTER_TLS_PORT: String(tlsPort) });
  dir = exampleRepo('web-app');
});
after(async () => { if (s) await s.stop(); });

test('an app is served through nginx with its config value; unknown hosts get the 404 page', { skip: missing, timeout: 120_000 }, async () => {
  assert.equal(nginxProcesses().length, 1, `Slipway runs its own nginx master: ${s.output()}`);
  const master = Number(nginxProcesses()[0]);
  const router = Number(JSON.parse(fs.readFileSync(path.join(s.dataDir, 'companions', 'router.json'), 'utf8')).pid);
  assert.equal(fs.readFileSync(`/proc/${master}/stat`, 'utf8').split(' ')[3], String(router), 'nginx is the router process\'s child');
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  assert.equal((await run(['config:set', 'GREETING=hola'])).code, 0);
  const b = await run(['builds:create']);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const r = await waitFor('nginx to serve', async () => { const x = await viaRouter(s, A); return x.status === 200 ? x : undefined; });
  assert.equal(r.body, 'hola from web.1 running code one\n');
  await settled();
  const none = await viaRouter(s, 'no-such-app');
  assert.equal(none.status, 404);
  assert.match(none.body, /No such app.*There is no app at this address\./s);
  // The table version served when nginx started (-1: none yet; its configuration is never rewritten),
  // by which the router knows the nginx it started answers, at a path only the router knows (security/network: not from a dyno).
  const token = /location = \/([0-9a-f]{32}) /.exec(fs.readFileSync(path.join(s.dataDir, 'nginx', 'nginx.conf'), 'utf8'))![1]!;
  const status = await viaRouter(s, A, `/${token}`, 'slipway_status');
  assert.equal(status.status, 200);
  assert.match(status.body, /^(-1|\d{13,})$/);
  for (const p of ['/', '/generation', `/${token.replace(/^./, (c) => (c === '0' ? '1' : '0'))}`]) assert.equal((await viaRouter(s, A, p, 'slipway_status')).status, 404, p);
});

test('a custom domain (domains:add) leads to its app; removed, it does not', { skip: missing, timeout: 60_000 }, async () => {
  const host = 'www.nginx-shop.test';
  assert.equal((await run(['domains:add', host])).code, 0);
  const r = await waitFor('nginx to answer for the custom domain', async () => { const x = await viaRouter(s, A, '/', host); return x.status === 200 ? x : undefined; });
  assert.equal(r.body, 'hola from web.1 running code one\n');
  assert.equal((await run(['domains:remove', host])).code, 0);
  await waitFor('nginx to forget it', async () => (await viaRouter(s, A, '/', host)).status === 404);
});

test('forwarding headers reach the dyno; a valid X-Request-Id is kept, another one replaced; the access line is in the app log', { skip: missing, timeout: 60_000 }, async () => {
  const id = 'given-request-id-0123456789';
  const r = await get('/headers', { 'x-request-id': id, 'x-forwarded-for': '203.0.113.9' });
  assert.equal(r.status, 200);
  assert.equal(r.headers['x-request-id'], id);
  const seen = JSON.parse(r.body) as Record<string, string>;
  assert.equal(seen['x-forwarded-for'], '203.0.113.9, 127.0.0.1');
  assert.equal(seen['x-forwarded-proto'], 'http');
  assert.equal(seen['x-forwarded-port'], String(s.routerPort));
  assert.equal(seen['x-request-id'], id);
  assert.equal(seen['via'], '1.1 slipway');
  assert.equal(seen['host'], `${A}.localhost`);
  assert.match(seen['x-request-start'] ?? '', /^\d{13}$/, 'integer milliseconds');
  assert.ok(Math.abs(Number(seen['x-request-start']) - Date.now()) < 60_000);

  const other = await get('/headers', { 'x-request-id': 'short' });
  const fresh = other.headers['x-request-id'] as string;
  // A fresh id is a UUID v4's shape, as Heroku's router and the Node router give; each request its own.
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
  assert.match(String(fresh), UUID, JSON.stringify([other.status, other.headers]));
  assert.equal((JSON.parse(other.body) as Record<string, string>)['x-request-id'], fresh, 'the dyno saw the generated id');
  const forged = await get('/headers', { 'x-request-id': 'a-long-enough-request-id"; x' });
  assert.match(String(forged.headers['x-request-id']), UUID, 'an id with a character outside [\\w+=/@.-] is replaced');
  assert.notEqual(forged.headers['x-request-id'], fresh);
  const none = await viaRouter(s, 'no-such-app');
  assert.match(String(none.headers['x-request-id']), UUID, 'a page nginx answers itself carries one too');

  await get('/?q=1', { 'x-request-id': id });
  const line = new RegExp(`heroku\\[router\\]: at=info method=GET path="/\\?q=1" host=${A}\\.localhost request_id=${id} fwd="127\\.0\\.0\\.1" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=200 bytes=\\d+ protocol=http`);
  await waitFor('the access line', async () => line.test((await run(['logs', '-n', '100'])).stdout));
});

test('a forwarded-for header with tabs, quotes and a fake line cannot shift or forge the access line\'s fields, nor write into another app\'s log', { skip: missing, timeout: 60_000 }, async () => {
  // nginx writes the line the router passes on unread, its fields and the wire's separated by tabs
  // (app id, time, line): header values may hold tabs, and nginx escapes them (escape=json).
  assert.equal((await cli(s, ['apps:create', 'ngother'])).code, 0);
  const other = (await api<{ id: string }>(s, 'GET', '/apps/ngother')).json.id;
  const forged = `198.51.100.7\t${other}\t1764563200.000\tat=info forged=1\tGET\t/admin\t" status=500 at=error`;
  const r = await get('/?forge=1', { 'x-forwarded-for': forged });
  assert.equal(r.status, 200);
  const logs = async () => (await run(['logs', '-n', '200'])).stdout;
  const line = await waitFor('the forged request\'s line', async () => (await logs()).split('\n').find((l) => l.includes('path="/?forge=1"')), 20_000);
  const fwd = `198\\.51\\.100\\.7\\\\t${other}\\\\t1764563200\\.000\\\\tat=info forged=1\\\\tGET\\\\t/admin\\\\t\\\\" status=500 at=error, 127\\.0\\.0\\.1`;
  assert.match(line, new RegExp(`heroku\\[router\\]: at=info method=GET path="/\\?forge=1" host=ngshop\\.localhost request_id=\\S+ fwd="${fwd}" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=200 bytes=\\d+ protocol=http$`));
  assert.equal((await logs()).split('\n').filter((l) => l.includes('/admin')).length, 1, 'one line, not two');
  const theirs = (await cli(s, ['logs', '-n', '200', '-a', 'ngother'], { cwd: dir })).stdout;
  assert.ok(!theirs.includes('forged'), `the other app's log holds no line of this request:\n${theirs}`);
});

test('WebSocket upgrades pass through; a silent dyno times out with the H12 page and log line, a hang-up gets the H13 page and line', { skip: missing, timeout: 60_000 }, async () => {
  assert.match(await upgradeEcho(s.routerPort, A), /X-Seen-Request-Id: [\w-]{20,}/, 'the dyno saw the forwarding headers');

  const slow = await viaRouter(s, A, '/slow');
  assert.equal(slow.status, 503);
  assert.match(slow.body, /Application error.*Request timeout/s);
  await waitFor('the H12 line', async () => /heroku\[router\]: at=error code=H12 desc="Request timeout" method=GET path="\/slow" host=ngshop\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 status=503 service=\d+ms/.test((await run(['logs', '-n', '100'])).stdout));

  // The same error page, its text by what the dyno did.
  const hangup = await viaRouter(s, A, '/hangup');
  assert.equal(hangup.status, 503);
  assert.match(hangup.body, /Application error.*Connection closed without response/s);
  await waitFor('the H13 line', async () => /heroku\[router\]: at=error code=H13 desc="Connection closed without response" method=GET path="\/hangup" host=ngshop\.localhost request_id=\S+ fwd="127\.0\.0\.1" dyno=web\.1 status=503/.test((await run(['logs', '-n', '100'])).stdout));
});

test('responses stream: an event the dyno writes reaches the client while the response is still open', { skip: missing, timeout: 60_000 }, async () => {
  let first!: () => void;
  const firstSeen = new Promise<void>((r) => { first = r; });
  const whole = new Promise<string>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: s.routerPort, path: '/stream', headers: { host: `${A}.localhost` }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; if (body.includes('data: first')) first(); });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
  // The dyno ends the response only when /release is asked for: a router that held the stream back would show nothing until then.
  let timer!: NodeJS.Timeout;
  await Promise.race([firstSeen, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('the first event never reached the client while the response was open: the router holds streamed responses back')), 10_000); })]);
  clearTimeout(timer);
  assert.equal((await get('/release')).body, 'released\n');
  assert.equal(await whole, 'data: first\n\ndata: last\n\n');
});

test('a large response to a client that reads slowly is passed at the client\'s pace: none of it lands on the router\'s disk', { skip: missing, timeout: 60_000 }, async () => {
  // nginx unlinks a temporary file as it makes it: its workers' open files show it (`… (deleted)`).
  const temp = path.join(s.dataDir, 'nginx', 'temp');
  const workers = () => nginxProcesses().flatMap((m) => fs.readFileSync(`/proc/${m}/task/${m}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
  const files = (): string[] => workers().flatMap((p) => {
    try { return fs.readdirSync(`/proc/${p}/fd`).map((fd) => { try { return fs.readlinkSync(`/proc/${p}/fd/${fd}`); } catch { return ''; } }); } catch { return []; }
  }).filter((f) => f.startsWith(temp));
  const mib = 64;
  const { spilled, got } = await new Promise<{ spilled: string[]; got: number }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: s.routerPort, path: `/big/${mib}`, headers: { host: `${A}.localhost` }, agent: false }, (res) => {
      res.pause();
      void (async () => {
        // The dyno writes as fast as it can; nginx fills its buffers and, were it to spill the rest to a file, would do so now.
        let seen: string[] = [];
        for (let i = 0; i < 12 && !seen.length; i++) { await new Promise((r) => setTimeout(r, 100)); seen = files(); }
        let n = 0;
        res.on('data', (c: Buffer) => { n += c.length; });
        res.on('end', () => resolve({ spilled: seen, got: n }));
        res.resume();
      })();
    }).on('error', reject);
  });
  assert.deepEqual(spilled, [], 'no temporary file: a tenant\'s responses cannot fill the router\'s disk');
  assert.equal(got, mib << 20, 'every byte arrived');
});

test('scale web=2: both dynos answer through nginx; scaled back down, the leaving dyno answers its slow request first', { skip: missing, timeout: 60_000 }, async () => {
  assert.equal((await run(['ps:scale', 'web=2'])).code, 0);
  const seen = new Set<string>();
  await waitFor('both dynos to answer', async () => { seen.add((await viaRouter(s, A)).body.split(' ')[2]!); return seen.size === 2; });
  assert.deepEqual([...seen].sort(), ['web.1', 'web.2']);
  // Scaled down while a slow POST is in flight on each dyno (nginx retries no POST elsewhere): the
  // leaving dyno is stopped only once nginx's workers that could send to it have answered.
  await settled();
  const slow = [post('/sleep/1500'), post('/sleep/1500')]; // under the 2 s router timeout
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await run(['ps:scale', 'web=1'])).code, 0);
  assert.deepEqual(await Promise.all(slow), [[200, 'slept in code one\n'], [200, 'slept in code one\n']], 'both answered: the leaving dyno drained first');
});

test('a scale the API reports done is served at once: the very next requests reach every new dyno, and none fails', { skip: missing, timeout: 120_000 }, async () => {
  // Round robin over the upstream: with two dynos, four requests meet both (none is retried: both are up).
  const names = async (n: number) => {
    const out = new Set<string>();
    for (let i = 0; i < n; i++) {
      const r = await viaRouter(s, A);
      assert.equal(r.status, 200, `request ${i + 1} after the scale answered: ${r.body}`);
      out.add(r.body.split(' ')[2]!);
    }
    return [...out].sort();
  };
  for (let round = 1; round <= 3; round++) {
    assert.equal((await run(['ps:scale', 'web=2'])).code, 0);
    assert.deepEqual(await names(4), ['web.1', 'web.2'], `round ${round}: scaled up`);
    // The leaving dyno drains (it may answer a moment longer): what counts is that nothing fails.
    assert.equal((await run(['ps:scale', 'web=1'])).code, 0);
    assert.ok((await names(4)).includes('web.1'), `round ${round}: scaled down`);
  }
});

test('a deploy under steady load: no failed request, and a slow request in flight is answered by the old code', { skip: missing, timeout: 120_000 }, async () => {
  fs.writeFileSync(path.join(dir, 'server.js'), fs.readFileSync(path.join(dir, 'server.js'), 'utf8').replace("const VERSION = 'one';", "const VERSION = 'two';"));
  commitAll(dir, 'code two');
  const load = steadyLoad(s, A, (r) => r.status === 200);
  let failures: number;
  let served: number;
  try {
    // Longer than the router's 2 s first-byte timeout would allow: so 1500 ms.
    const inFlight = viaRouter(s, A, '/sleep/1500');
    await new Promise((r) => setTimeout(r, 200));
    const b = await run(['builds:create']);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.deepEqual(await inFlight.then((r) => [r.status, r.body]), [200, 'slept in code one\n'], 'the old dyno drained before it stopped');
    await waitFor('code two', async () => (await viaRouter(s, A)).body.includes('code two'));
  } finally {
    ({ failures, served } = await load.stop());
  }
  assert.equal(failures, 0, 'no request failed while the release changed');
  assert.ok(served > 5);
});

/**
 * Four clients of app A sending their next request the instant the last was answered, on kept
 * connections, while `changes` run: a reload closes the old worker's connections under them, and
 * such a request gets no answer. Returns the requests that failed, how many were served, the code
 * versions that answered, and whether nginx kept its one worker throughout.
 */
async function keptAliveClients(changes: (codes: Set<string>) => Promise<void>): Promise<{ failed: string[]; served: number; sameWorker: boolean }> {
  await settled();
  const master = fs.readFileSync(path.join(s.dataDir, 'nginx', 'nginx.pid'), 'utf8').trim();
  const workers = () => fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim();
  const worker = workers();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const once = () => new Promise<string>((resolve) => {
    http.get({ host: '127.0.0.1', port: s.routerPort, path: '/', headers: { host: `${A}.localhost` }, agent }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(res.statusCode === 200 ? body : `${res.statusCode} ${body.slice(0, 100)}`));
    }).on('error', (e) => resolve(`error: ${e.message}`));
  });
  let stop = false;
  const failed: string[] = [];
  const codes = new Set<string>();
  let served = 0;
  const clients = Array.from({ length: 4 }, async () => {
    while (!stop) {
      const r = await once();
      const code = / running code (\w+)\n$/.exec(r);
      if (code) { served++; codes.add(code[1]!); } else failed.push(r);
    }
  });
  try {
    await changes(codes);
  } finally {
    stop = true;
    await Promise.all(clients);
    agent.destroy();
  }
  return { failed, served, sameWorker: workers() === worker };
}

test('a deploy and a restart reload nothing: clients on kept-alive connections lose no request, and nginx keeps its worker', { skip: missing, timeout: 120_000 }, async () => {
  const { failed, served, sameWorker } = await keptAliveClients(async (codes) => {
    fs.writeFileSync(path.join(dir, 'server.js'), fs.readFileSync(path.join(dir, 'server.js'), 'utf8').replace(/const VERSION = '\w+';/, "const VERSION = 'three';"));
    commitAll(dir, 'code three');
    const b = await run(['builds:create']);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    await waitFor('code three', async () => codes.has('three'));
    assert.equal((await run(['ps:restart'])).code, 0);
    assert.equal((await run(['ps:scale', 'web=2'])).code, 0);
    assert.equal((await run(['ps:scale', 'web=1'])).code, 0);
  });
  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${failed.length + served} requests failed`);
  assert.ok(served > 50, `served ${served}`);
  assert.ok(sameWorker, 'nginx did not reload: the same worker served throughout');
});

/** The status of an HTTPS request to the router's TLS port for `name` (by SNI, trusting only `crt`), or the handshake's error. */
const tlsStatus = (name: string, crt: string) => new Promise<string>((resolve) => {
  https.get({ host: '127.0.0.1', port: tlsPort, path: '/', servername: name, headers: { host: name }, ca: fs.readFileSync(crt), agent: false }, (res) => {
    res.resume();
    res.on('end', () => resolve(String(res.statusCode)));
  }).on('error', (e) => resolve(`error: ${e.message}`));
});

test('another tenant\'s app created, put in maintenance and back, given a domain and a certificate and destroyed: nothing reloads, and no client of this app loses a request', { skip: missing, timeout: 120_000 }, async () => {
  const other = 'ngneighbour';
  const host = `www.${other}.test`;
  const certs = tempDir('slipway-nginx-certs-');
  const [crt, key] = [path.join(certs, 'c.pem'), path.join(certs, 'k.pem')];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`, '-keyout', key, '-out', crt], { stdio: 'pipe' });
  const { failed, served, sameWorker } = await keptAliveClients(async () => {
    for (let round = 0; round < 2; round++) {
      assert.equal((await cli(s, ['apps:create', other])).code, 0);
      await waitFor('the new app routed (no web dyno: 503)', async () => (await viaRouter(s, other)).status === 503);
      for (const on of [true, false]) {
        assert.equal((await api(s, 'PATCH', `/apps/${other}`, { maintenance: on })).status, 200);
        await waitFor(`maintenance ${on ? 'on' : 'off'}`, async () => /Offline for maintenance/.test((await viaRouter(s, other)).body) === on);
      }
      assert.equal((await cli(s, ['domains:add', host, '-a', other])).code, 0);
      await waitFor('the domain routed', async () => (await viaRouter(s, other, '/', host)).status === 503);
      const added = await cli(s, ['certs:add', crt, key, '-a', other]);
      assert.equal(added.code, 0, added.stdout + added.stderr);
      await waitFor('the certificate served by SNI', async () => (await tlsStatus(host, crt)) === '503');
      assert.equal((await cli(s, ['apps:destroy', '-a', other, '--confirm', other])).code, 0);
      await waitFor('the app gone (404)', async () => (await viaRouter(s, other)).status === 404);
      await waitFor('its certificate gone (no handshake)', async () => (await tlsStatus(host, crt)).startsWith('error: '));
    }
  });
  assert.deepEqual(failed.slice(0, 5), [], `${failed.length} of ${failed.length + served} requests failed`);
  assert.ok(served > 50, `served ${served}`);
  assert.ok(sameWorker, 'nginx did not reload: the same worker served throughout');
});

test('nginx killed: Slipway restarts it and the app is served again', { skip: missing, timeout: 60_000 }, async () => {
  const master = Number(fs.readFileSync(path.join(s.dataDir, 'nginx', 'nginx.pid'), 'utf8').trim());
  process.kill(master, 'SIGKILL');
  await waitFor('a new nginx master', async () => {
    try { return Number(fs.readFileSync(path.join(s.dataDir, 'nginx', 'nginx.pid'), 'utf8').trim()) !== master; } catch { return false; }
  }, 40_000).catch((e: Error) => { throw new Error(`${e.message}\n${s.output()}`); });
  await waitFor('served again', async () => (await viaRouter(s, A).catch(() => ({ status: 0 }))).status === 200);
  assert.match(fs.readFileSync(path.join(s.dataDir, 'companions', 'router.log'), 'utf8'), /nginx exited \(SIGKILL\); restarting it/);
});

test('maintenance mode: the maintenance page (503) and an H80 line while the dynos run; off, served again', { skip: missing, timeout: 60_000 }, async () => {
  assert.equal((await api(s, 'PATCH', `/apps/${A}`, { maintenance: true })).status, 200);
  const r = await waitFor('the maintenance page', async () => { const x = await viaRouter(s, A); return x.status === 503 ? x : undefined; });
  assert.match(r.body, /Offline for maintenance/);
  await waitFor('the H80 line', async () => /heroku\[router\]: at=error code=H80 desc="Maintenance mode" method=GET path="\/" host=ngshop\.localhost/.test((await run(['logs', '-n', '50'])).stdout));
  assert.match((await run(['ps'])).stdout, /web\.1: up/, 'the dynos keep running');
  assert.equal((await api(s, 'PATCH', `/apps/${A}`, { maintenance: false })).status, 200);
  await waitFor('served again', async () => (await viaRouter(s, A)).status === 200);
});

test('a table change is served once and for all: after the first answer from the new table, no request meets the old one', { skip: missing, timeout: 120_000 }, async () => {
  assert.equal((await run(['ps:scale', 'web=0'])).code, 0);
  await waitFor('no web dyno (503)', async () => (await viaRouter(s, A)).status === 503);
  await settled();
  // A client asking as fast as it can while the dyno comes (nginx reloads): 503 until the new table
  // answers, then only 200 — never the old table's 503 again (as the Node router switches at once).
  const scaling = run(['ps:scale', 'web=1']);
  const after: string[] = [];
  let first = 0;
  for (const until = Date.now() + 60_000; Date.now() < until && (!first || Date.now() - first < 1500);) {
    const r = await viaRouter(s, A);
    if (first) after.push(`${r.status}`);
    else if (r.status === 200) first = Date.now();
  }
  assert.equal((await scaling).code, 0);
  assert.ok(first, 'the new dyno answered');
  assert.ok(after.length > 20, `requests after the first answer: ${after.length}`);
  assert.deepEqual(after.filter((x) => x !== '200'), [], 'no answer from the old table after the new one answered');
});

test('a POST never meets a dyno connection its server is closing for idleness: nginx drops idle ones first', { skip: missing, timeout: 120_000 }, async () => {
  // A dyno that closes a connection the moment a request arrives after it was quiet for 1.5 s: what
  // any server's idle timeout does when it fires as a request is on its way (Node's is 5 s). nginx
  // retries a GET that met such a close, never a POST: that one would be a 503 (H13).
  const idle = repoWithFiles({
    'package.json': JSON.stringify({ name: 'idle-closer', version: '1.0.0', private: true }),
    Procfile: 'web: node server.js\n',
    'server.js': `const net = require('node:net');
net.createServer((c) => {
  let quietSince = Date.now();
  c.on('data', () => {
    if (Date.now() - quietSince >= 1500) return c.destroy();
    c.write('HTTP/1.1 200 OK\\r\\ncontent-length: 3\\r\\n\\r\\nok\\n');
    quietSince = Date.now();
  });
  c.on('error', () => {});
}).listen(process.env.PORT);
`,
  });
  assert.equal((await cli(s, ['apps:create', 'ngidle'])).code, 0);
  const b = await cli(s, ['builds:create', '-a', 'ngidle'], { cwd: idle });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const send = (method: string) => new Promise<number>((resolve, reject) => {
    const req = http.request({ method, host: '127.0.0.1', port: s.routerPort, path: '/', headers: { host: 'ngidle.localhost' }, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end();
  });
  await waitFor('the idle-closing app to be served', async () => (await send('GET')) === 200);
  const posts: number[] = [];
  for (let i = 0; i < 3; i++) {
    assert.equal(await send('GET'), 200); // nginx keeps this connection to the dyno for the next request
    await new Promise((r) => setTimeout(r, 2000)); // longer than the dyno keeps it
    posts.push(await send('POST'));
  }
  assert.deepEqual(posts, [200, 200, 200], 'each POST went over a connection the dyno still held open');
});

test('router lines that waited while the server was away, more than one batch of them, all reach the app log, and later ones after them', { skip: missing, timeout: 120_000 }, async () => {
  // The server stopped (SIGSTOP): the router serves on and keeps its lines. 5,000 lines are more
  // than the server takes in one request body as JSON (1 MiB): a router that sends them so is
  // refused over and over, and no line of the app reaches its log again.
  const N = 5000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const one = (p: string) => new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: s.routerPort, path: p, headers: { host: `${A}.localhost` }, agent }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); }).on('error', reject);
  });
  process.kill(s.proc.pid!, 'SIGSTOP');
  let statuses: number[];
  try {
    let next = 0;
    statuses = (await Promise.all(Array.from({ length: 16 }, async () => {
      const got: number[] = [];
      while (next < N) got.push(await one(`/?away=${next++}`));
      return got;
    }))).flat();
    statuses.push(await one('/?away-last=1'));
  } finally {
    process.kill(s.proc.pid!, 'SIGCONT');
    agent.destroy();
  }
  assert.deepEqual([...new Set(statuses)], [200], 'served while the server was away');
  const routerLines = async () => (await run(['logs', '-n', '1500', '-d', 'router'])).stdout;
  await waitFor('the last line served while the server was away', async () => (await routerLines()).includes('path="/?away-last=1"'), 30_000);
  const away = (await routerLines()).split('\n').filter((l) => /path="\/\?away=\d+"/.test(l)).length;
  assert.ok(away >= 1000, `the lines before it too (${away} of the last 1,500)`);
  assert.equal((await get('/?after-away=1')).status, 200);
  await waitFor('a line served after', async () => (await routerLines()).includes('path="/?after-away=1"'), 20_000);
});

test('attack: a dyno that puts a route table into nginx\'s control socket (routing another app to itself) cannot reach it', { skip: missing, timeout: 120_000 }, async () => {
  const sock = path.join(s.dataDir, 'nginx', 'control.sock');
  assert.ok(fs.statSync(sock).isSocket(), 'the control socket is where the attack aims');
  const victim = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
  const thief = repoWithFiles({
    'package.json': '{ "name": "thief", "version": "1.0.0" }',
    Procfile: 'web: node server.js',
    'server.js': `const http = require('http');
http.createServer((_q, res) => {
  const req = http.request({ socketPath: process.env.CONTROL, method: 'PUT', path: '/routes?prune=1' }, (r) => { r.resume(); res.end('reached ' + r.statusCode); });
  req.on('error', (e) => res.end('refused ' + e.code));
  req.end(process.env.VICTIM_HOST + '\\t' + process.env.VICTIM + '\\t\\t*\\t127.0.0.1 ' + process.env.PORT + ' web.1 thief\\n');
}).listen(process.env.PORT);
`,
  });
  assert.equal((await cli(s, ['apps:create', 'ngthief'])).code, 0);
  assert.equal((await cli(s, ['config:set', `CONTROL=${sock}`, `VICTIM=${victim}`, `VICTIM_HOST=${A}.localhost`, '-a', 'ngthief'])).code, 0);
  const b = await cli(s, ['builds:create', '-a', 'ngthief'], { cwd: thief });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const r = await waitFor('the thief\'s dyno', async () => { const x = await viaRouter(s, 'ngthief'); return x.status === 200 ? x : undefined; });
  assert.match(r.body, /^refused E(NOENT|ACCES)$/, 'the socket is out of a dyno\'s reach');
  assert.match((await viaRouter(s, A)).body, / running code \w+\n$/, 'the victim is still served by its own dyno');
  assert.equal((await cli(s, ['apps:destroy', '-a', 'ngthief', '--confirm', 'ngthief'])).code, 0);
});

test('no web dyno: the 503 page and an H14 line; server close leaves no nginx behind', { skip: missing, timeout: 60_000 }, async () => {
  assert.equal((await run(['ps:scale', 'web=0'])).code, 0);
  const r = await waitFor('503', async () => { const x = await viaRouter(s, A); return x.status === 503 ? x : undefined; });
  assert.match(r.body, /Application unavailable/);
  await waitFor('the H14 line', async () => /heroku\[router\]: at=error code=H14 desc="No web processes running" method=GET path="\/" host=ngshop\.localhost/.test((await run(['logs', '-n', '50'])).stdout));
  await s.stop();
  assert.deepEqual(nginxProcesses(), [], 'nginx stopped with the server');
  s = undefined as unknown as TestServer;
});
