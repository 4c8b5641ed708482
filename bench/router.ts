// bench/router: requests per second and p50/p99 latency of Slipway's router in both data planes
// (nginx run by the router process, the Node router), against the same dyno hit directly, plain
// nginx proxying it, and a hand-written nginx doing the router's job (the same forwarding headers,
// request id, a Heroku-format access line to a buffered log); then the time a routing-table change
// takes to be served with 1,000 apps, under load, and the requests that failed meanwhile.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, api, BIN } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { freePort } from '../test/helpers/postgres.js';
import { findExecutable } from '../src/sandbox/host-tools.js';
import { waitFor } from '../test/helpers/runs.js';
import { nginxConf } from '../src/runtime/nginx/nginx-conf.js';
import { workersOf } from '../src/router/nginx-workers.js';
import { writeRouteTable } from '../src/router/nginx-data-plane.js';
import { findLuaModules } from '../src/router/nginx-modules.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';
import { companions } from '../test/helpers/companions.js';
import { cpuSecondsOf } from './proc-stats.js';

for (const [bin, pkg] of [['wrk', 'wrk'], ['nginx', 'nginx-light']]) {
  if (!findExecutable(bin!)) { console.error(`bench/router needs ${bin}: apt-get install -y ${pkg}`); process.exit(2); }
}
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);
const APPS = Number(process.env['BENCH_APPS'] ?? 1000);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);

interface Result { rps: number; p50: number; p99: number; errors: number; detail: string; cpu?: Record<Role, number> }
/** Where a request's CPU goes: the processes of each role, found as a run starts. */
type Role = 'dyno' | 'nginx' | 'router process' | 'server' | 'agent';
const ROLES: Role[] = ['dyno', 'nginx', 'router process', 'server', 'agent'];
const cpuOf = (pids: number[]) => pids.reduce((sum, pid) => { try { return sum + cpuSecondsOf(pid); } catch { return sum; } }, 0);

/** `wrk` as `run` does, and each role's CPU over it in µs per request. */
async function wrkWithCpu(run: () => Promise<Result>, pids: Record<Role, number[]>): Promise<Result> {
  const before = ROLES.map((r) => cpuOf(pids[r]));
  const res = await run();
  const requests = res.rps * SECONDS;
  return { ...res, cpu: Object.fromEntries(ROLES.map((r, i) => [r, ((cpuOf(pids[r]) - before[i]!) * 1e6) / requests])) as Record<Role, number> };
}
function wrk(url: string, host?: string, seconds = SECONDS): Promise<Result> {
  return new Promise((resolve) => {
    const p = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', ...(host ? ['-H', `Host: ${host}`] : []), url]);
    let out = '';
    p.stdout.on('data', (c) => { out += c; });
    p.on('close', () => {
      const ms = (label: string) => {
        const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(out);
        return m ? Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1) : NaN;
      };
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const sock = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const detail = `${non2xx} non-2xx${sock ? `, socket errors: connect ${sock[1]} read ${sock[2]} write ${sock[3]} timeout ${sock[4]}` : ''}`;
      resolve({ rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]), p50: ms(' 50%'), p99: ms(' 99%'), errors: non2xx + (sock ? sock.slice(1).reduce((s, x) => s + Number(x), 0) : 0), detail });
    });
  });
}

/** A GET with a Host header (fetch cannot set one). */
function get(port: number, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers: { host }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', () => resolve({ status: 0, body: '' }));
  });
}

const median = (xs: number[]) => [...xs].sort((a, z) => a - z)[Math.floor((xs.length - 1) / 2)]!;

/**
 * nginx alone, reloading the router's own generated config for `n` apps with a web dyno each (all at
 * `dyno`; no request is sent): SIGHUP until a new worker exists, its wall time and the master's CPU
 * (medians of 5), and the master's RSS.
 */
async function reloadCost(n: number, dyno: string): Promise<{ ms: number; cpuMs: number; rssMb: number; lastApp: Result; nginxUs: number }> {
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-reload-'));
  for (const d of ['temp/body', 'temp/proxy', 'temp/fastcgi', 'temp/uwsgi', 'temp/scgi', 'pages']) fs.mkdirSync(path.join(prefix, d), { recursive: true });
  const [host, port] = dyno.split(':');
  const apps = Array.from({ length: n }, (_, i) => ({ appId: `id-${i}`, name: `bulk-${i}`, dynos: [{ host: host!, port: Number(port), name: 'web.1' }] }));
  const listenPort = await freePort();
  writeRouteTable(prefix, apps, 'localhost');
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), nginxConf({ prefix, listenHost: '127.0.0.1', listenPort, domain: 'localhost', timeoutSeconds: 30, generation: 1, statusToken: 'ab'.repeat(16), modules: findLuaModules()!,
    // Its workers as the router's are (as root: root): the dyno network lets only the server's uid reach dynos.
    user: process.getuid?.() === 0 ? 'root root' : undefined }));
  const p = spawn(findExecutable('nginx')!, ['-e', 'stderr', '-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  try {
    const master = p.pid!;
    await waitFor('the reload bench nginx to start a worker', async () => workersOf(master).length > 0, 30_000);
    const cpu = () => { const f = fs.readFileSync(`/proc/${master}/stat`, 'utf8').split(') ')[1]!.split(' '); return (Number(f[11]) + Number(f[12])) * 10; };
    const times: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < 5; i++) {
      const old = workersOf(master).map(([w]) => w);
      const [t0, c0] = [performance.now(), cpu()];
      p.kill('SIGHUP');
      for (const until = Date.now() + 30_000; !workersOf(master).some(([w]) => !old.includes(w));) {
        if (Date.now() > until) throw new Error(`nginx did not reload the config of ${n} apps within 30 s`);
        await new Promise((r) => setTimeout(r, 1));
      }
      times.push(performance.now() - t0);
      cpus.push(cpu() - c0);
      await new Promise((r) => setTimeout(r, 500));
    }
    const rssMb = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${master}/status`, 'utf8'))![1]) / 1024;
    // A request to an app near the end of the config (by name), and nginx's CPU for it: the same with
    // 1 app and with n, if a request's cost does not grow with the apps.
    const workers = workersOf(master).map(([w]) => w);
    const cpu0 = cpuOf(workers);
    const lastApp = await wrk(`http://127.0.0.1:${listenPort}/`, `${apps.map((a) => a.name).sort((x, y) => x.localeCompare(y))[Math.max(0, n - 2)]}.localhost`, 4);
    const nginxUs = ((cpuOf(workers) - cpu0) * 1e6) / (lastApp.rps * 4);
    return { ms: median(times), cpuMs: median(cpus), rssMb, lastApp, nginxUs };
  } finally {
    p.kill('SIGQUIT');
    await new Promise((r) => p.once('exit', r));
    fs.rmSync(prefix, { recursive: true, force: true });
  }
}

/** An nginx of the bench's own, from a config body (the `http { … }` content). */
async function ownNginx(http: string): Promise<{ port: number; master: number; stop(): void }> {
  const port = await freePort();
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nginx-'));
  // Workers as root when the master is: the dynos' network lets the server's uid in (as the router's nginx does).
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), `${process.getuid?.() === 0 ? 'user root root; ' : ''}worker_processes 1; daemon off; error_log stderr; pid ${prefix}/nginx.pid;
events { worker_connections 4096; }
http { ${http.replaceAll('PORT', String(port)).replaceAll('PREFIX', prefix)} }
`);
  const p = spawn(findExecutable('nginx')!, ['-e', 'stderr', '-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  await waitFor('the bench nginx to listen', async () => (await fetch(`http://127.0.0.1:${port}/`).catch(() => undefined)) !== undefined, 10_000);
  return { port, master: p.pid!, stop: () => { p.kill('SIGQUIT'); fs.rmSync(prefix, { recursive: true, force: true }); } };
}

const server = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '2', SLIPWAY_ROUTER: 'nginx' });
const stops: (() => void)[] = [];
try {
  await cli(server, ['apps:create', 'benchapp']);
  const b = await cli(server, ['builds:create', '-a', 'benchapp'], { cwd: exampleRepo('web-app') });
  if (b.code !== 0) throw new Error(b.stdout + b.stderr);
  // The dyno's address on its network, as the router's nginx has it (its route table, balancer-lua.ts).
  const appId = (await api<{ id: string }>(server, 'GET', '/apps/benchapp')).json.id;
  const dynoOf = (id: string) => waitFor('the web dyno in the router\'s nginx route table', async () => {
    const line = fs.readFileSync(path.join(server.dataDir, 'nginx', 'routes.tsv'), 'utf8').split('\n').find((l) => l.split('\t')[1] === id);
    const m = line && /\t([\d.]+) (\d+) /.exec(line);
    return m ? `${m[1]}:${m[2]}` : undefined;
  }, 30_000);
  const dyno = await dynoOf(appId);
  // The same server's table through a second router process on the Node data plane (the fallback).
  const token = /(slpr_[\w-]+)/.exec((await cli(server, ['routers:create', 'bench-node'])).stdout)![1]!;
  const nodePort = await freePort();
  const nodeRouter = spawn(process.execPath, [BIN, 'router', '--server', server.url, '--token', token, '--port', String(nodePort), '--data-plane', 'node'], { stdio: 'ignore', env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
  stops.push(() => nodeRouter.kill('SIGTERM'));
  await waitFor('the Node router to serve', async () => (await get(nodePort, 'benchapp.localhost')).status === 200, 20_000);

  const plain = await ownNginx(`access_log off; upstream dyno { server ${dyno}; keepalive 64; }
  server { listen 127.0.0.1:PORT; location / { proxy_pass http://dyno; proxy_http_version 1.1; proxy_set_header Connection ""; } }`);
  stops.push(plain.stop);
  // What an operator would write by hand for the router's job: Heroku's forwarding headers, a request id, a Heroku-format access line to a buffered log.
  const hand = await ownNginx(`log_format heroku 'at=info method=$request_method path="$request_uri" host=$host request_id=$request_id fwd="$proxy_add_x_forwarded_for" dyno=web.1 connect=$upstream_connect_time service=$upstream_response_time status=$status bytes=$body_bytes_sent protocol=http';
  access_log PREFIX/access.log heroku buffer=64k flush=250ms;
  map $msec $request_start { "~^(?<s>\\d+)\\.(?<ms>\\d+)$" $s$ms; }
  upstream dyno { server ${dyno}; keepalive 64; }
  server { listen 127.0.0.1:PORT; location / { proxy_pass http://dyno; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $http_host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Forwarded-Proto http; proxy_set_header X-Forwarded-Port $server_port;
    proxy_set_header X-Request-Id $request_id; proxy_set_header X-Request-Start $request_start; proxy_set_header Via '1.1 slipway'; add_header X-Request-Id $request_id always; } }`);
  stops.push(hand.stop);

  await wrk(`http://${dyno}/`, undefined, 2); // warm-up
  // Rounds, each running every target once (the order turned each round): a shared machine's speed
  // drifts over minutes, so each ratio is taken within a round, between runs seconds apart, and the
  // median round's ratio is the figure.
  const targets = [
    ['direct', `http://${dyno}/`, undefined], ['plain', `http://127.0.0.1:${plain.port}/`, undefined], ['hand', `http://127.0.0.1:${hand.port}/`, undefined],
    ['nginx', `http://127.0.0.1:${server.routerPort}/`, 'benchapp.localhost'], ['node', `http://127.0.0.1:${nodePort}/`, 'benchapp.localhost'],
  ] as const;
  // The nginx each target goes through (the router's: its pid file; none for the dyno and the Node router).
  const routerNginx = () => Number(fs.readFileSync(path.join(server.dataDir, 'nginx', 'nginx.pid'), 'utf8'));
  const nginxOf: Record<(typeof targets)[number][0], () => number[]> = {
    direct: () => [], node: () => [], plain: () => workersOf(plain.master).map(([w]) => w), hand: () => workersOf(hand.master).map(([w]) => w),
    nginx: () => workersOf(routerNginx()).map(([w]) => w),
  };
  const rounds: Array<Record<(typeof targets)[number][0], Result>> = [];
  for (let r = 0; r < ROUNDS; r++) {
    const round = {} as Record<(typeof targets)[number][0], Result>;
    for (let k = 0; k < targets.length; k++) {
      const [name, url, host] = targets[(k + r) % targets.length]!;
      const c = companions(server.dataDir);
      const pids: Record<Role, number[]> = { dyno: findMarkedProcesses(() => true), nginx: nginxOf[name](), 'router process': c['router'] ?? [], server: [server.proc.pid!], agent: c['agent'] ?? [] };
      round[name] = await wrkWithCpu(() => wrk(url, host), pids);
    }
    rounds.push(round);
  }
  const med = (name: (typeof targets)[number][0]): Result => ({
    rps: median(rounds.map((x) => x[name].rps)), p50: median(rounds.map((x) => x[name].p50)), p99: median(rounds.map((x) => x[name].p99)),
    errors: rounds.reduce((n, x) => n + x[name].errors, 0), detail: rounds.map((x) => x[name].detail).join('; '),
    cpu: Object.fromEntries(ROLES.map((role) => [role, median(rounds.map((x) => x[name].cpu![role]))])) as Record<Role, number>,
  });
  const [direct, viaPlain, viaHand, viaNginx, viaNode] = (['direct', 'plain', 'hand', 'nginx', 'node'] as const).map(med) as [Result, Result, Result, Result, Result];
  const perRound = (f: (x: (typeof rounds)[number]) => number) => ({ median: median(rounds.map(f)), each: rounds.map((x) => f(x).toFixed(2)).join(', ') });

  // 1,000 apps, then a change to one of them timed until the router serves it, while load runs through it.
  for (let i = 0; i < APPS; i += 25) {
    await Promise.all(Array.from({ length: Math.min(25, APPS - i) }, (_, k) => api(server, 'POST', '/apps', { name: `bulk-${i + k}` })));
  }
  await waitFor(`the router to serve ${APPS} apps`, async () => (await get(server.routerPort, `bulk-${APPS - 1}.localhost`)).status === 503, 60_000);
  // Maintenance on and off for another app under load: a route table change, nothing reloads.
  const master = routerNginx();
  const worker = workersOf(master).map(([w]) => w).join(' ');
  const load = wrk(`http://127.0.0.1:${server.routerPort}/`, 'benchapp.localhost', 12);
  const changes: number[] = [];
  const calls: number[] = [];
  for (let i = 0; i < 8; i++) {
    const t0 = performance.now();
    const on = i % 2 === 0;
    await api(server, 'PATCH', '/apps/bulk-7', { maintenance: on });
    calls.push(performance.now() - t0);
    await waitFor('the change to be served', async () => /Offline for maintenance/.test((await get(server.routerPort, 'bulk-7.localhost')).body) === on, 30_000);
    changes.push(performance.now() - t0);
  }
  const underChanges = await load;
  const sameWorkerChanges = workersOf(master).map(([w]) => w).join(' ') === worker;

  // Dyno changes under load (restarts of the loaded app's dyno, as a deploy replaces it): nginx's
  // route table changes, nothing reloads, and its worker stays.
  const restarts = wrk(`http://127.0.0.1:${server.routerPort}/`, 'benchapp.localhost', 20);
  const restartMs: number[] = [];
  for (let i = 0; i < 4; i++) {
    const before = await dynoOf(appId);
    const t0 = performance.now();
    const r = await cli(server, ['ps:restart', '-a', 'benchapp']);
    if (r.code !== 0) throw new Error(r.stdout + r.stderr);
    await waitFor('the restarted dyno in the table', async () => (await dynoOf(appId)) !== before, 30_000);
    restartMs.push(performance.now() - t0);
    await new Promise((res) => setTimeout(res, 1000));
  }
  const underRestarts = await restarts;
  const sameWorker = workersOf(master).map(([w]) => w).join(' ') === worker;
  const each = changes.map((c, i) => `${c.toFixed(0)} (API ${calls[i]!.toFixed(0)})`).join(', ');
  changes.sort((a, z) => a - z);
  calls.sort((a, z) => a - z);

  // The same reload with every app holding a web dyno (more than this host could run: nginx alone, with the router's own config).
  const live = await dynoOf(appId); // the restarts replaced the first one
  const reloadOne = await reloadCost(1, live);
  const reloadMany = await reloadCost(APPS + 1, live);

  const row = (name: string, r: Result) => console.log(`  ${name.padEnd(44)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   errors ${r.errors}`);
  const aim = (label: string, v: number, goal: number, unit = '×', lower = false) => console.log(`  ${label.padEnd(44)} ${v.toFixed(2)}${unit}   aim ${lower ? '≤' : '≥'} ${goal}${unit}: ${(lower ? v <= goal : v >= goal) ? 'met' : 'NOT met'}`);
  console.log(`router: wrk 1 thread, ${CONNECTIONS} keep-alive connections, ${SECONDS} s each, ${ROUNDS} rounds (medians; ratios within a round, then the median round's); 1 web dyno (examples/web-app); ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`);
  row('dyno directly', direct);
  row('plain nginx → dyno (no headers, no log)', viaPlain);
  row('hand-written nginx (headers, id, log)', viaHand);
  row('Slipway router, nginx data plane', viaNginx);
  row('Slipway router, Node data plane', viaNode);
  console.log(`  CPU per request, µs (median of the rounds; wrk's own not counted): ${ROLES.join(' / ')}`);
  for (const [name, r] of [['dyno directly', direct], ['plain nginx', viaPlain], ['hand-written nginx', viaHand], ['nginx data plane', viaNginx], ['Node data plane', viaNode]] as const) {
    console.log(`    ${name.padEnd(42)} ${ROLES.map((role) => r.cpu![role].toFixed(1)).join(' / ')}   total ${ROLES.reduce((t, role) => t + r.cpu![role], 0).toFixed(1)}`);
  }
  const toHand = perRound((x) => x.nginx.rps / x.hand.rps);
  const p99Over = perRound((x) => x.nginx.p99 - x.hand.p99);
  const toPlain = perRound((x) => x.nginx.rps / x.plain.rps);
  aim('nginx data plane / hand-written nginx', toHand.median, 0.9);
  console.log(`    each round: ${toHand.each}`);
  aim('p99 over the hand-written nginx\'s', p99Over.median, 1, ' ms', true);
  console.log(`    each round: ${p99Over.each}`);
  aim('nginx data plane / plain nginx', toPlain.median, 0.7);
  console.log(`    each round: ${toPlain.each}`);
  console.log(`  nginx data plane / direct ${(viaNginx.rps / direct.rps).toFixed(2)}×   Node data plane / direct ${(viaNode.rps / direct.rps).toFixed(2)}×   nginx / Node data plane ${(viaNginx.rps / viaNode.rps).toFixed(2)}×`);
  console.log(`  a change served with ${APPS + 1} apps (API call to the router serving it; another app's maintenance): median ${changes[4]!.toFixed(0)} ms, max ${changes[7]!.toFixed(0)} ms`);
  console.log(`  (of which the API call, which returns once the router reports it serves the change: median ${calls[4]!.toFixed(0)} ms; each in order: ${each} ms)`);
  row(`under those ${changes.length} changes`, underChanges);
  console.log(`    (no reload: nginx's worker ${sameWorkerChanges ? 'the same throughout' : 'REPLACED'})`);
  console.log(`  nginx alone reloading the router's config (a certificate's change), every app with a web dyno in its route table: ${APPS + 1} apps ${reloadMany.ms.toFixed(0)} ms to the new worker, master CPU ${reloadMany.cpuMs.toFixed(0)} ms, master RSS ${reloadMany.rssMb.toFixed(1)} MB;`
    + ` 1 app ${reloadOne.ms.toFixed(0)} ms, ${reloadOne.cpuMs.toFixed(0)} ms, ${reloadOne.rssMb.toFixed(1)} MB; per app ${((reloadMany.cpuMs - reloadOne.cpuMs) / APPS).toFixed(2)} ms of CPU (medians of 5)`);
  if (underChanges.errors) console.log(`    ${underChanges.detail}`);
  row(`under ${restartMs.length} restarts of the loaded app's dyno`, underRestarts);
  console.log(`    (no reload: nginx's worker ${sameWorker ? 'the same throughout' : 'REPLACED'}; each restart to its new dyno in the table: ${restartMs.map((m) => m.toFixed(0)).join(', ')} ms)`);
  if (underRestarts.errors) console.log(`    ${underRestarts.detail}`);
  console.log(`  a request to the next-to-last app of that config (4 s of wrk): ${APPS + 1} apps ${reloadMany.lastApp.rps.toFixed(0)} req/s, nginx ${reloadMany.nginxUs.toFixed(1)} µs a request; 1 app ${reloadOne.lastApp.rps.toFixed(0)} req/s, ${reloadOne.nginxUs.toFixed(1)} µs`
    + ` (${(reloadMany.nginxUs / reloadOne.nginxUs).toFixed(2)}× the CPU a request: flat is 1)`);
} finally {
  for (const s of stops) s();
  await server.stop();
}
