// bench/push-to-live: time from `git push` to the development app serving the pushed code through
// the router, with cached dependencies (the second and later pushes of an app with a lockfile),
// median of 5, split into its parts as the push output shows them: receive (push start → the
// server has the commit), build (→ release phase starts), release phase (→ launching), boot
// (→ released, dynos up), and the wait until the router answers with the new code.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, viaRouter, TOKEN } from '../test/helpers/server.js';
import { exampleRepo, commitAll } from '../test/helpers/apps.js';
import { buildSteps, stepLines } from './build-steps.js';

const RUNS = 5;
const AIM = 1.2; // issue 18: git push → new code served, median, in seconds
const server = await startServer();
const APP = 'pushbench-dev';
const dir = exampleRepo('web-app', (d) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
  pkg.dependencies = { express: '4.21.2' };
  fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify(pkg, null, 2));
  execFileSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: d, stdio: 'ignore' });
});

const MARKS = { received: /-----> Received/, build: /-----> Building/, release: /-----> Running release command/, launching: /-----> Launching/, released: /-----> Released/ } as const;
type Mark = keyof typeof MARKS;

/** Push and note when each part of the output arrived (seconds since the push started). */
function push(): Promise<Record<Mark | 'exit', number>> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const at: Partial<Record<Mark | 'exit', number>> = {};
    const p = spawn('git', ['push', '-q', 'slipway', 'main'], { cwd: dir, env: { ...process.env, SLIPWAY_URL: server.url, SLIPWAY_TOKEN: TOKEN, GIT_TERMINAL_PROMPT: '0' } });
    let out = '';
    p.stderr.on('data', (c) => {
      out += c;
      const now = Number(process.hrtime.bigint() - t0) / 1e9;
      for (const [k, re] of Object.entries(MARKS) as Array<[Mark, RegExp]>) if (at[k] === undefined && re.test(out)) at[k] = now;
    });
    p.on('close', (code) => {
      at.exit = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code !== 0 || Object.keys(MARKS).some((k) => at[k as Mark] === undefined)) reject(new Error(`push failed (${code}):\n${out}`));
      else resolve(at as Record<Mark | 'exit', number>);
    });
  });
}

async function pushToLive(version: string) {
  const f = path.join(dir, 'server.js');
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/const VERSION = '[^']*';/, `const VERSION = '${version}';`));
  commitAll(dir, `version ${version}`);
  const t0 = process.hrtime.bigint();
  const at = await push();
  while (!(await viaRouter(server, APP)).body.includes(`code ${version}`)) await new Promise((r) => setTimeout(r, 10));
  const live = Number(process.hrtime.bigint() - t0) / 1e9;
  return { total: live, receive: at.received, build: at.release - at.build, release: at.launching - at.release, boot: at.released - at.launching, serve: live - at.released };
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]!; };

try {
  await cli(server, ['apps:create', APP]);
  const r = await cli(server, ['git:remote', '-a', APP], { cwd: dir });
  if (r.code !== 0) throw new Error(r.stderr);
  await pushToLive('warm-up'); // fills the build cache (npm downloads express once)
  const samples: Array<Awaited<ReturnType<typeof pushToLive>>> = [];
  for (let i = 0; i < RUNS; i++) samples.push(await pushToLive(`v${i}`));
  const m = (k: keyof Awaited<ReturnType<typeof pushToLive>>) => median(samples.map((x) => x[k])).toFixed(2);
  console.log(`push-to-live: examples/web-app + express, cached dependencies, median of ${RUNS}; ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const total = median(samples.map((x) => x.total));
  console.log(`  git push → new code served    ${m('total')} s   (each: ${samples.map((x) => x.total.toFixed(2)).join(', ')}; aim ≤ ${AIM} s median: ${total <= AIM ? 'met' : 'not met'})`);
  console.log(`    receive (push → commit in)  ${m('receive')} s`);
  console.log(`    build                       ${m('build')} s`);
  console.log(`    release phase               ${m('release')} s`);
  console.log(`    boot (dynos up, swapped)    ${m('boot')} s`);
  console.log(`    until the router serves it  ${m('serve')} s`);
  console.log('  the build\'s steps (median of the measured pushes):');
  for (const line of stepLines(buildSteps(server.output()).slice(1))) console.log(line);
} finally {
  await server.stop();
}
