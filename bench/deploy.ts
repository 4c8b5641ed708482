// bench/deploy: time from build start to the new release serving through the router, for a Node
// app with real npm dependencies: a first build (empty cache) and a second build with unchanged
// dependencies (cache hit), in one run; requests under steady load meanwhile, failures counted.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, cli, viaRouter } from '../test/helpers/server.js';
import { exampleRepo, commitAll } from '../test/helpers/apps.js';

const server = await startServer();
const APP = 'deploybench';
const dir = exampleRepo('web-app', (d) => {
  const pkg = JSON.parse(fs.readFileSync(path.join(d, 'package.json'), 'utf8'));
  pkg.dependencies = { express: '4.21.2' };
  fs.writeFileSync(path.join(d, 'package.json'), JSON.stringify(pkg, null, 2));
  execFileSync('npm', ['install', '--package-lock-only', '--no-audit', '--no-fund'], { cwd: d, stdio: 'ignore' });
});
const setVersion = (v: string) => {
  const f = path.join(dir, 'server.js');
  fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/const VERSION = '[^']*';/, `const VERSION = '${v}';`));
  commitAll(dir, `version ${v}`);
};

let sent = 0;
let failed = 0;
let stop = false;
const load = async () => {
  while (!stop) {
    const r = await viaRouter(server, APP).catch(() => ({ status: 0, body: '' }));
    sent++;
    if (r.status !== 200) failed++;
    await new Promise((res) => setTimeout(res, 10));
  }
};

async function deploy(version: string): Promise<number> {
  setVersion(version);
  const t = process.hrtime.bigint();
  const b = await cli(server, ['builds:create', '-a', APP], { cwd: dir, timeoutMs: 600_000 });
  if (b.code !== 0) throw new Error(b.stdout + b.stderr);
  for (;;) {
    if ((await viaRouter(server, APP)).body.includes(`code ${version}`)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return Number(process.hrtime.bigint() - t) / 1e9;
}

try {
  await cli(server, ['apps:create', APP]);
  const first = await deploy('first'); // empty build cache: npm downloads express and its dependencies
  const loading = load();
  const cached = await deploy('second'); // same lockfile: node_modules comes from the build cache
  const cached2 = await deploy('third');
  stop = true;
  await loading;
  console.log(`deploy: examples/web-app + express (npm ci), build start → new code served via the router; ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}`);
  console.log(`  first build (empty cache)     ${first.toFixed(2)} s`);
  console.log(`  cached builds                 ${cached.toFixed(2)} s, ${cached2.toFixed(2)} s   (${((Math.min(cached, cached2) / first) * 100).toFixed(0)}% of the first)`);
  console.log(`  requests during the cached deploys: ${sent} sent, ${failed} failed`);
} finally {
  stop = true;
  await server.stop();
}
