// bench/isolation: what tenant isolation costs at start-up, in one run. (1) One sandboxed command
// (`true` under bubblewrap) as it started before isolation (the shared sandbox user, host network,
// no limits) against the same with each layer added: a tenant uid, a cgroup with the size's limits,
// a network namespace of its own; and a workspace's own filesystem (made once per workspace).
// (2) Two servers side by side: isolation off (SLIPWAY_NETWORK=host, SLIPWAY_TENANT_UIDS=off)
// against the defaults: a one-off dyno from start to exit (the dyno boot path) and a warm CI run
// end to end. Aim: under 50 ms added per sandbox start. Needs root; nothing leaves this machine.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSandbox, type RunSpec } from '../src/sandbox/sandbox.js';
import { createLimiter } from '../src/sandbox/cgroups.js';
import { openWorkspaceDisks } from '../src/sandbox/workspace-disk.js';
import { limitsFor, dynoSize } from '../src/core/dyno-size.js';
import { DefaultNetwork } from '../src/spaces/default-network.js';
import { releaseTag } from '../src/spaces/owners.js';
import { netAdminProblem } from '../test/helpers/netns.js';
import { startServer, cli, api, type TestServer } from '../test/helpers/server.js';
import { exampleRepo } from '../test/helpers/apps.js';

const problem = netAdminProblem();
if (problem) { console.log(`bench/isolation skipped: it ${problem}`); process.exit(0); }
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 15);
const SERVER_ROUNDS = Number(process.env['BENCH_SERVER_ROUNDS'] ?? 5);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(1).padStart(7)} ms`;
const quiet = { info: () => {}, warn: (m: string) => console.warn(m), error: (m: string) => console.error(m) };

// ---- (1) one sandboxed command, layer by layer
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-bench-isolation-'));
const workRoot = path.join(dataDir, 'workspaces');
fs.mkdirSync(workRoot, { mode: 0o711 });
fs.chmodSync(dataDir, 0o711);
const limiter = createLimiter({ dataDir, ownUid: true });
const disks = await openWorkspaceDisks({ dataDir, workRoot });
const net = new DefaultNetwork({ tag: 'be1f', log: quiet, serverUid: 0, dns: ['127.0.0.1'] });
await net.up();
const layers: Record<string, number[]> = { before: [], tenant: [], limits: [], netns: [], all: [] };
const disk: number[] = [];
try {
  const sandbox = createSandbox({ mode: 'bwrap', userName: 'nobody', hidden: [dataDir], graceMs: 1000, limiter });
  const tenant = { uid: 299_991, gid: 299_991 };
  const limits = limitsFor(dynoSize('standard-1x'));
  const run = async (extra: Partial<RunSpec>) => {
    const t = performance.now();
    const r = await sandbox.run({ argv: ['true'], cwd: '/', env: { PATH: '/usr/bin:/bin' }, writable: [], marker: 'bench-isolation', ...extra });
    if (r.exitCode !== 0) throw new Error(`true failed: ${JSON.stringify(r)}`);
    return performance.now() - t;
  };
  for (let i = 0; i < ROUNDS; i++) {
    layers['before']!.push(await run({}));
    layers['tenant']!.push(await run({ tenant }));
    layers['limits']!.push(await run({ tenant, limits }));
    // The namespace as a sandbox gets it: taken (ready-made) when the command starts, removed after.
    let t = performance.now();
    let n = await net.attach('app:bench', `bench-ns-${i}`);
    const taken = performance.now() - t;
    layers['netns']!.push(taken + await run({ tenant, netns: n.netns }));
    await n.release();
    await new Promise((r) => setTimeout(r, 300)); // the spares refill, as between real starts
    t = performance.now();
    n = await net.attach('app:bench', `bench-all-${i}`);
    layers['all']!.push(performance.now() - t + await run({ tenant, limits, netns: n.netns }));
    await n.release();
    await new Promise((r) => setTimeout(r, 300));
    const root = path.join(workRoot, `bench-${i}`);
    t = performance.now();
    await disks.attach(root, `bench-${i}`, limits.diskMb);
    await disks.detach(root, `bench-${i}`);
    disk.push(performance.now() - t);
    fs.rmSync(root, { recursive: true, force: true });
  }
} finally {
  await net.down();
  releaseTag('be1f');
  await disks.close();
  limiter.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
}

// ---- (2) two servers: isolation off and on
/** An app with a release and a pipeline with a warm setup cache on `s`. */
async function prepare(s: TestServer, app: string, pipeline: string): Promise<void> {
  const ok = async (args: string[], cwd?: string) => { const r = await cli(s, args, { cwd, timeoutMs: 300_000 }); if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stdout}${r.stderr}`); };
  const dir = exampleRepo('node-passing');
  await ok(['apps:create', app]);
  await ok(['builds:create', '-a', app], dir);
  await ok(['pipelines:create', pipeline]);
  await ok(['ci:run', '-p', pipeline], dir); // warm the setup cache
}
async function oneOff(s: TestServer, app: string): Promise<number> {
  const t = performance.now();
  const d = await api<{ id: string }>(s, 'POST', `/apps/${app}/dynos`, { command: 'true' });
  for (;;) {
    const x = await api<{ state: string; exit_code: number | null }>(s, 'GET', `/apps/${app}/dynos/${d.json.id}`);
    if (x.json.state === 'down') { if (x.json.exit_code !== 0) throw new Error(`one-off exited ${x.json.exit_code}`); return performance.now() - t; }
    await new Promise((r) => setTimeout(r, 20));
  }
}
async function ciRun(s: TestServer, pipeline: string): Promise<number> {
  const t = performance.now();
  const r = await cli(s, ['ci:run', '-p', pipeline], { cwd: exampleRepo('node-passing'), timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`ci:run: ${r.stdout}${r.stderr}`);
  return performance.now() - t;
}

const off = await startServer({ SLIPWAY_NETWORK: 'host', SLIPWAY_TENANT_UIDS: 'off' });
const on = await startServer();
const servers = [{ name: 'off', s: off, oneOff: [] as number[], ci: [] as number[] }, { name: 'on', s: on, oneOff: [] as number[], ci: [] as number[] }];
try {
  for (const x of servers) await prepare(x.s, `iso-${x.name}`, `iso-${x.name}`);
  for (let i = 0; i < SERVER_ROUNDS; i++) {
    for (const x of servers) {
      x.oneOff.push(await oneOff(x.s, `iso-${x.name}`));
      x.ci.push(await ciRun(x.s, `iso-${x.name}`));
    }
  }
} finally {
  await off.stop();
  await on.stop();
}

const m = (k: string) => median(layers[k]!);
console.log(`bench/isolation: ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, node ${process.version}; ${ROUNDS} rounds of sandbox starts, ${SERVER_ROUNDS} of dynos and CI runs (medians)`);
console.log('  one sandboxed `true` (bubblewrap):');
console.log(`    before isolation (shared uid, host network, no limits) ${ms(m('before'))}`);
console.log(`    + own tenant uid                                       ${ms(m('tenant'))}   (+${(m('tenant') - m('before')).toFixed(1)} ms)`);
console.log(`    + cgroup with standard-1x limits                       ${ms(m('limits'))}   (+${(m('limits') - m('before')).toFixed(1)} ms)`);
console.log(`    + own network namespace (taken ready-made)             ${ms(m('netns'))}   (+${(m('netns') - m('before')).toFixed(1)} ms)`);
console.log(`    everything                                             ${ms(m('all'))}   (+${(m('all') - m('before')).toFixed(1)} ms; aim < 50 ms: ${m('all') - m('before') < 50 ? 'met' : 'NOT met'})`);
console.log(`  a workspace's own filesystem (2 GB ext4 on loop: mkfs, mount, umount, delete) ${ms(median(disk))} once per workspace`);
const [a, b] = servers;
const row = (what: string, x: number[], y: number[]) => console.log(`  ${what.padEnd(34)} off ${ms(median(x))}   on ${ms(median(y))}   ratio ${(median(y) / median(x)).toFixed(2)}×   (+${(median(y) - median(x)).toFixed(0)} ms)`);
console.log('  servers (off: SLIPWAY_NETWORK=host, SLIPWAY_TENANT_UIDS=off; cgroups and workspace filesystems on in both):');
row('one-off dyno, start to exit', a!.oneOff, b!.oneOff);
row('CI run end to end (node-passing)', a!.ci, b!.ci);
