// bench/router: requests per second and p50/p99 latency through Slipway's router, against the same
// dyno hit directly and against nginx proxying it; one run, the same load generator (wrk, keep-alive).
import { spawnSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, api } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';
import { freePort } from '../test/helpers/postgres.js';

const need = (bin: string, pkg: string) => { if (spawnSync('which', [bin]).status !== 0) { console.error(`bench/router needs ${bin}: apt-get install -y ${pkg}`); process.exit(2); } };
need('wrk', 'wrk');
need('nginx', 'nginx-light');
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 8);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 32);

interface Result { rps: number; p50: number; p99: number; errors: number }
function wrk(url: string, host?: string): Result {
  const r = spawnSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', ...(host ? ['-H', `Host: ${host}`] : []), url], { encoding: 'utf8' });
  const ms = (label: string) => {
    const m = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(r.stdout);
    if (!m) return NaN;
    return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
  };
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(r.stdout)?.[1] ?? '0';
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(r.stdout);
  return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]), p50: ms(' 50%'), p99: ms(' 99%'), errors: Number(errors) + (sockErr ? sockErr.slice(1).reduce((s, x) => s + Number(x), 0) : 0) };
}

/** The example web app deployed on a server; returns its web dyno's port (printed when it listens). */
async function deploy(server: Awaited<ReturnType<typeof startServer>>): Promise<number> {
  await cli(server, ['apps:create', 'benchapp']);
  const b = await cli(server, ['builds:create', '-a', 'benchapp'], { cwd: exampleRepo('web-app') });
  if (b.code !== 0) throw new Error(b.stdout + b.stderr);
  for (let i = 0; i < 100; i++) {
    const logs = await cli(server, ['logs', '-a', 'benchapp', '-n', '200']);
    const port = Number(/app\[web\.1\]: listening on (\d+)/.exec(logs.stdout)?.[1] ?? 0);
    if (port) return port;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no web dyno port found in the logs');
}

const server = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '2' });
// A second server whose router is the nginx data plane (SLIPWAY_ROUTER=nginx), with its own dyno of the same app.
const native = await startServer({ SLIPWAY_RUNNER_CONCURRENCY: '2', SLIPWAY_ROUTER: 'nginx' });
let nginx: ReturnType<typeof spawn> | undefined;
try {
  const port = await deploy(server);
  const nativePort = await deploy(native);
  void api;

  const ngPort = await freePort();
  const prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-nginx-'));
  fs.writeFileSync(path.join(prefix, 'nginx.conf'), `worker_processes 1; daemon off; error_log ${prefix}/error.log; pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http { access_log off; upstream dyno { server 127.0.0.1:${port}; keepalive 64; }
  server { listen 127.0.0.1:${ngPort}; location / { proxy_pass http://dyno; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_set_header Host $host;
    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; proxy_set_header X-Request-Start $msec; } } }
`);
  nginx = spawn('nginx', ['-p', prefix, '-c', path.join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 500));

  wrk(`http://127.0.0.1:${port}/`); // warm up the dyno
  const direct = wrk(`http://127.0.0.1:${port}/`);
  const router = wrk(`http://127.0.0.1:${server.routerPort}/`, 'benchapp.localhost');
  const viaNginx = wrk(`http://127.0.0.1:${ngPort}/`);
  wrk(`http://127.0.0.1:${nativePort}/`); // warm up the second dyno
  const nativeDirect = wrk(`http://127.0.0.1:${nativePort}/`);
  const viaNative = wrk(`http://127.0.0.1:${native.routerPort}/`, 'benchapp.localhost');
  const row = (name: string, r: Result) => console.log(`  ${name.padEnd(34)} ${r.rps.toFixed(0).padStart(7)} req/s   p50 ${r.p50.toFixed(2)} ms   p99 ${r.p99.toFixed(2)} ms   errors ${r.errors}`);
  console.log(`router: wrk 1 thread, ${CONNECTIONS} keep-alive connections, ${SECONDS} s each; 1 web dyno (examples/web-app); ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`);
  row('dyno directly', direct);
  row('Slipway router', router);
  row('nginx → dyno', viaNginx);
  row('2nd dyno directly', nativeDirect);
  row('Slipway router (nginx data plane)', viaNative);
  console.log(`  router / direct ${(router.rps / direct.rps).toFixed(2)}×   router / nginx ${(router.rps / viaNginx.rps).toFixed(2)}×`);
  console.log(`  nginx data plane / direct ${(viaNative.rps / direct.rps).toFixed(2)}× (its own dyno: ${(viaNative.rps / nativeDirect.rps).toFixed(2)}×)   nginx data plane / nginx ${(viaNative.rps / viaNginx.rps).toFixed(2)}×`);
} finally {
  nginx?.kill('SIGTERM');
  await server.stop();
  await native.stop();
}
