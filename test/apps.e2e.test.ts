// Apps that run, end to end through the real server, CLI and router: build, release with a release
// phase, serve, keep serving through a failed release, roll back, scale, restart crashed dynos.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { startServer, cli, api, viaRouter, serverLogTails, BIN, TOKEN, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { upgradeEcho } from './helpers/upgrade.js';
import { steadyLoad } from './helpers/load.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';


let s: TestServer;
let dir: string;
const A = 'webshop';
const run = (args: string[]) => cli(s, [...args, '-a', A], { cwd: dir });

before(async () => {
  s = await startServer({ SLIPWAY_BOOT_TIMEOUT_SECONDS: '20', SLIPWAY_ROUTER_TIMEOUT_SECONDS: '8' });
  dir = exampleRepo('web-app');
});
after(async () => { await s.stop(); });

test('create, set config, build from the repo, release v3, served through the router with the config value', { timeout: 120_000 }, async () => {
  const created = await cli(s, ['apps:create', A]);
  assert.equal(created.code, 0, created.stderr);
  assert.equal((await cli(s, ['apps:create', 'Bad_Name'])).code, 2, 'a bad name is refused');
  assert.equal((await run(['config:set', 'GREETING=hola', 'API_SECRET=s3cr3t-never-logged'])).code, 0);
  const b = await run(['builds:create']);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.match(b.stdout, /Removed 1 entries listed in \.slugignore/);
  assert.match(b.stdout, /Procfile declares types -> web, release/);
  assert.match(b.stdout, /migrations done/, 'the release phase ran and its output streamed');
  assert.match(b.stdout, /Released v3 succeeded/);
  const r = await waitFor('the router to serve', async () => { const x = await viaRouter(s, A); return x.status === 200 ? x : undefined; });
  assert.equal(r.body, 'hola from web.1 running code one\n');
  assert.ok(r.headers['x-request-id']);
  const releases = await run(['releases']);
  assert.match(releases.stdout, /v3\*\s+Deploy [0-9a-f]{7}\s+succeeded/);
  assert.match(releases.stdout, /v2\s+Set GREETING, API_SECRET config vars\s+succeeded/);
  const outputs = [(await run(['builds:output'])).stdout, (await run(['releases:output', '3'])).stdout, (await run(['logs', '-n', '1000'])).stdout, b.stdout];
  assert.ok(outputs.every((o) => o.length > 0 && !o.includes('s3cr3t-never-logged')), 'config values never appear in build, release, router or app logs');
  assert.match(releases.stdout, /v3\*\s+Deploy [0-9a-f]{7}\s+succeeded\s+[\d-]+ [\d:]+\s+admin@slipway\.local/, 'who made the release');
  assert.match(releases.stdout, /v1\s+Initial release/);
  assert.equal((await viaRouter(s, 'no-such-app')).status, 404);
  const markup = await viaRouter(s, '<img src=x onerror=alert(1)>');
  // nginx refuses a Host that is no host name (400); the Node router answers its 404 page.
  assert.ok([400, 404].includes(markup.status), String(markup.status));
  assert.ok(!markup.body.includes('<img'), 'the Host header is escaped in the 404 page');
});

test('the router logs every request in Heroku\'s format, proxies WebSocket upgrades and times out a silent dyno (H12)', { timeout: 60_000 }, async () => {
  const id = 'given-request-id-0123456789';
  const r = await new Promise<{ status: number; id: unknown }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port: s.routerPort, path: '/?q=1', headers: { host: `${A}.localhost`, 'x-request-id': id }, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, id: res.headers['x-request-id'] });
    }).on('error', reject);
  });
  assert.deepEqual(r, { status: 200, id }, 'a valid X-Request-Id is kept');
  await waitFor('the access line', async () => (await run(['logs', '-n', '100'])).stdout.includes(`request_id=${id}`));
  assert.match((await run(['logs', '-n', '100'])).stdout, new RegExp(`heroku\\[router\\]: at=info method=GET path="/\\?q=1" host=${A}\\.localhost request_id=${id} fwd="127\\.0\\.0\\.1" dyno=web\\.1 connect=\\d+ms service=\\d+ms status=200 bytes=\\d+ protocol=http`));

  // An upgrade goes through to the dyno, then bytes flow both ways.
  assert.match(await upgradeEcho(s.routerPort, A), /X-Seen-Request-Id: [\w-]{20,}/, 'the dyno saw the forwarding headers');
  await waitFor('the upgrade\'s access line', async () => / path="\/ws" .* status=101 bytes=0 protocol=http/.test((await run(['logs', '-n', '100'])).stdout));

  const slow = await viaRouter(s, A, '/slow');
  assert.equal(slow.status, 503);
  assert.match(slow.body, /Request timeout/);
  await waitFor('the H12 line', async () => /at=error code=H12 desc="Request timeout" method=GET path="\/slow"/.test((await run(['logs', '-n', '100'])).stdout));
});

test('a failing release phase: release failed, v3 keeps serving and no request fails meanwhile', { timeout: 120_000 }, async () => {
  fs.writeFileSync(path.join(dir, 'migrate.js'), 'console.log("migrating");\nconsole.error("migration failed: boom");\nprocess.exit(1);\n');
  fs.writeFileSync(path.join(dir, 'server.js'), fs.readFileSync(path.join(dir, 'server.js'), 'utf8').replace("const VERSION = 'one';", "const VERSION = 'two';"));
  commitAll(dir, 'broken migration');
  const load = steadyLoad(s, A, (r) => r.status === 200 && r.body.includes('code one'));
  const b = await run(['builds:create']).catch(async (e) => { await load.stop(); throw e; });
  const { failures, served } = await load.stop();
  assert.equal(b.code, 1, b.stdout + b.stderr);
  assert.match(b.stdout, /migration failed: boom/);
  assert.match(b.stdout, /Released v4 failed: Release command exited with code 1; v4 was not deployed/);
  assert.equal(failures, 0, 'every request during the attempt was served by v3');
  assert.ok(served > 5);
  const out = await run(['releases:output', '4']);
  assert.match(out.stdout, /migration failed: boom/, 'the release output is kept');
  assert.match((await run(['releases:info', '4'])).stdout, /Status:\s+failed/);
});

test('a good release goes live with zero failed requests; rollback to v3 brings the old code back', { timeout: 120_000 }, async () => {
  fs.writeFileSync(path.join(dir, 'migrate.js'), 'console.log("migrations done");\n');
  commitAll(dir, 'fixed migration');
  const load = steadyLoad(s, A, (r) => r.status === 200);
  let failures: number;
  try {
    // A slow request in flight on the old dyno is answered before that dyno gets SIGTERM (it exits at once).
    const inFlight = viaRouter(s, A, '/sleep/6000');
    const b = await run(['builds:create']);
    assert.equal(b.code, 0, b.stdout + b.stderr);
    assert.match(b.stdout, /Released v5 succeeded/);
    const slept = await inFlight;
    if (slept.status !== 200) {
      // What the router and the dynos said meanwhile (the router line's service time, the old dyno's Stopping line) tells why.
      const logs = (await run(['logs', '-n', '120'])).stdout;
      assert.fail(`the old dyno drained before it stopped: got ${slept.status} ${slept.body.slice(0, 200)}\n--- app log ---\n${logs}\n${serverLogTails(s, 60)}`);
    }
    assert.equal(slept.body, 'slept in code one\n', 'the old dyno answered the request it held');
    await waitFor('code two', async () => (await viaRouter(s, A)).body.includes('code two'));
    const rb = await run(['releases:rollback', 'v3']);
    assert.equal(rb.code, 0, rb.stdout + rb.stderr);
    assert.match(rb.stdout, /v6 succeeded/);
    await waitFor('code one again', async () => (await viaRouter(s, A)).body.includes('code one'));
  } finally {
    ({ failures } = await load.stop());
  }
  assert.equal(failures, 0, 'no request failed while releases changed');
  assert.match((await run(['releases'])).stdout, /v6\*\s+Rollback to v3/);
});

type DynoJson = { name: string; state: string; created_at: string };
const dynos = async () => (await api<DynoJson[]>(s, 'GET', `/apps/${A}/dynos`)).json;

test('scale web to 2: both dynos answer, round robin; ps lists them; web.1 is not restarted', { timeout: 60_000 }, async () => {
  const before = (await dynos()).find((d) => d.name === 'web.1')!;
  assert.equal((await run(['ps:scale', 'web=2'])).code, 0);
  assert.equal((await dynos()).find((d) => d.name === 'web.1')!.created_at, before.created_at, 'scaling up leaves web.1 running');
  const seen = new Set<string>();
  await waitFor('both dynos to answer', async () => { seen.add((await viaRouter(s, A)).body.split(' ')[2]!); return seen.size === 2; });
  assert.deepEqual([...seen].sort(), ['web.1', 'web.2']);
  const ps = await run(['ps']);
  assert.match(ps.stdout, /=== web \(standard-1x\): 2/);
  assert.match(ps.stdout, /web\.1: up/);
  assert.match(ps.stdout, /web\.2: up/);
  assert.equal((await run(['ps:scale', 'nope=1'])).code, 2, 'an unknown process type is refused');
});

test('without -a, the app comes from the repository\'s Slipway git remote', { timeout: 60_000 }, async () => {
  const none = await cli(s, ['ps'], { cwd: dir });
  assert.equal(none.code, 2);
  assert.match(none.stderr, /No app given: pass -a APP/);
  assert.equal((await cli(s, ['git:remote', '-a', A], { cwd: dir })).code, 0);
  const ps = await cli(s, ['ps'], { cwd: dir });
  assert.equal(ps.code, 0, ps.stderr);
  assert.match(ps.stdout, /=== web \(standard-1x\): 2/);
  const wrong = await cli(s, ['ps', '-r', 'origin'], { cwd: dir });
  assert.equal(wrong.code, 2);
  assert.match(wrong.stderr, /"origin" is not a Slipway app remote/);
});

test('a crashing process is restarted with growing back-off, visible in the logs', { timeout: 60_000 }, async () => {
  fs.appendFileSync(path.join(dir, 'Procfile'), 'worker: node -e "console.log(\'worker starting\'); process.exit(3)"\n');
  commitAll(dir, 'add a crashing worker');
  assert.equal((await run(['builds:create'])).code, 0);
  assert.equal((await run(['ps:scale', 'worker=1'])).code, 0);
  await waitFor('two restarts', async () => /worker\.1: state changed to crashed; restarting in 2 s \(restart 2\)/.test((await run(['logs', '-n', '500'])).stdout), 30_000);
  const logs = (await run(['logs', '-n', '500'])).stdout;
  assert.match(logs, /app\[worker\.1\]: worker starting/);
  assert.match(logs, /restarting in 1 s \(restart 1\)/);
  assert.match(logs, /^\d{4}-\d\d-\d\dT[\d:.]+Z (?:app|heroku)\[[\w.]+\]: /m, 'Heroku log format');
  const dynos = (await api<{ name: string; state: string }[]>(s, 'GET', `/apps/${A}/dynos`)).json;
  assert.ok(dynos.some((d) => d.name === 'web.1' && d.state === 'up'), 'the web dynos are unaffected');
});

test('run: a one-off command with the release\'s config, its output streamed and its exit code passed through', { timeout: 60_000 }, async () => {
  const ok = await cli(s, ['run', '-a', A, '--', 'echo "greeting=$GREETING dyno=$DYNO"; ls'], { cwd: dir });
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /greeting=hola dyno=run\.\d+/);
  assert.match(ok.stdout, /server\.js/, 'the slug is its filesystem');
  const bad = await cli(s, ['run', '-a', A, '--', 'echo failing >&2; exit 7'], { cwd: dir });
  assert.equal(bad.code, 7);
  assert.match(bad.stdout, /failing/);
  const detached = await cli(s, ['run', '-a', A, '--detached', '--', 'echo started; sleep 300'], { cwd: dir });
  const name = /as (run\.\d+)/.exec(detached.stdout)?.[1];
  assert.ok(name, detached.stdout + detached.stderr);
  await waitFor('the one-off to run', async () => (await api<{ name: string; state: string }[]>(s, 'GET', `/apps/${A}/dynos`)).json.some((d) => d.name === name && d.state === 'up'));
  const stop = await cli(s, ['ps:stop', name!, '-a', A]);
  assert.equal(stop.code, 0, stop.stderr);
  await waitFor('the one-off to be gone', async () => !(await api<{ name: string }[]>(s, 'GET', `/apps/${A}/dynos`)).json.some((d) => d.name === name));
  const formation = await cli(s, ['ps:stop', 'web.1', '-a', A]);
  assert.equal(formation.code, 2);
  assert.match(formation.stderr, /part of the formation; scale it instead/);
});

test('dynos come back after a server restart', { timeout: 90_000 }, async () => {
  await s.stop();
  s = await startServer({ SLIPWAY_BOOT_TIMEOUT_SECONDS: '20' }, s.dataDir);
  const r = await waitFor('the router to serve again', async () => { const x = await viaRouter(s, A); return x.status === 200 ? x : undefined; });
  assert.match(r.body, /hola from web\.[12] running code two/, "the current release (the worker build) is what comes back");
  assert.match((await cli(s, ['logs', '-a', A, '-n', '1000'])).stdout, /App created/, 'the app log survived the restart');
});

test('automatic rollback: web dynos of a new release crash soon after it went live → back to the previous release', { timeout: 120_000 }, async () => {
  assert.equal((await run(['config:set', 'SLIPWAY_AUTO_ROLLBACK_SECONDS=60'])).code, 0);
  const good = (await api<{ version: number; current: boolean }[]>(s, 'GET', `/apps/${A}/releases`)).json.find((r) => r.current)!;
  const server = fs.readFileSync(path.join(dir, 'server.js'), 'utf8');
  fs.writeFileSync(path.join(dir, 'server.js'), server.replace("const VERSION = 'two';", "const VERSION = 'crashy';\nsetTimeout(() => { console.error('fatal: out of memory'); process.exit(1); }, 1500);"));
  commitAll(dir, 'a release that crashes');
  const b = await run(['builds:create']);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const rolled = await waitFor('an automatic rollback', async () => {
    const rs = (await api<{ version: number; description: string; current: boolean; status: string }[]>(s, 'GET', `/apps/${A}/releases`)).json;
    return rs.find((r) => r.current && r.status === 'succeeded' && /automatic: web\.\d of v\d+ crashed \d+ s after release/.test(r.description));
  }, 60_000);
  assert.match(rolled.description, new RegExp(`^Rollback to v${good.version} `));
  assert.match((await run(['releases:info'])).stdout, /By:\s+slipway \(automatic\)/, 'an automatic rollback is Slipway\'s own');
  await waitFor('the good code again', async () => (await viaRouter(s, A)).body.includes('code two'), 30_000);
  fs.writeFileSync(path.join(dir, 'server.js'), server);
  commitAll(dir, 'back to good code');
});

test('a health-check path: the new release\'s web dynos must answer 2xx there before traffic moves to them', { timeout: 120_000 }, async () => {
  assert.equal((await run(['config:set', 'SLIPWAY_HEALTHCHECK_PATH=/health'])).code, 0);
  const server = fs.readFileSync(path.join(dir, 'server.js'), 'utf8');
  fs.writeFileSync(path.join(dir, 'server.js'), server
    .replace("const VERSION = 'two';", "const VERSION = 'unhealthy';")
    .replace("http.createServer((req, res) => {", "http.createServer((req, res) => {\n  if (req.url === '/health') { res.writeHead(503); res.end('database unreachable'); return; }"));
  commitAll(dir, 'a release that never gets healthy');
  let bad = 0;
  const probe = setInterval(() => { viaRouter(s, A).then((r) => { if (!r.body.includes('code two')) bad++; }, () => { bad++; }); }, 100);
  try {
    await run(['builds:create']);
    await waitFor('the boot check to give up', async () => /did not answer 2xx on \/health/.test((await run(['logs', '-n', '300'])).stdout), 60_000);
  } finally { clearInterval(probe); }
  assert.equal(bad, 0, 'traffic never left the healthy release');
  assert.match((await viaRouter(s, A)).body, /code two/);
  fs.writeFileSync(path.join(dir, 'server.js'), server);
  commitAll(dir, 'healthy again');
});

test('apps:destroy needs confirmation, then stops the dynos and the router forgets the app', { timeout: 60_000 }, async () => {
  assert.equal((await run(['apps:destroy'])).code, 2);
  const { json: app } = await api<{ id: string }>(s, 'GET', `/apps/${A}`);
  const mine = (m: string) => m.startsWith(`dyno-${app.id.slice(0, 8)}-`); // this app's dynos only: other tests run apps too
  assert.ok(findMarkedProcesses(mine).length > 0);
  // At a terminal it asks; a wrong answer deletes nothing, the right one deletes.
  const atTerminal = (answer: string) => new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn('script', ['-qec', `${process.execPath} ${BIN} apps:destroy -a ${A}`, '/dev/null'], {
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: process.env['HOME'] ?? '/root', SLIPWAY_URL: s.url, SLIPWAY_TOKEN: TOKEN },
    });
    let out = '';
    // Answered once: the prompt stays in `out`, and a second write could meet a process already gone (EPIPE).
    let answered = false;
    p.stdout.on('data', (c) => { out += c; if (!answered && out.includes('> ')) { answered = true; p.stdin.write(`${answer}\n`); } });
    p.on('close', (code) => resolve({ code, out }));
  });
  const wrong = await atTerminal('not-it');
  assert.equal(wrong.code, 2, wrong.out);
  assert.match(wrong.out, /To proceed, type webshop or re-run this command with --confirm webshop/);
  assert.match(wrong.out, /did not match "webshop"; nothing was changed/);
  assert.equal((await viaRouter(s, A)).status, 200, 'still there');
  const right = await atTerminal(A);
  assert.equal(right.code, 0, right.out);
  assert.match(right.out, /Destroyed webshop/);
  await waitFor('404', async () => (await viaRouter(s, A)).status === 404);
  await waitFor('no dyno processes of the app', async () => findMarkedProcesses(mine).length === 0, 20_000);
});
