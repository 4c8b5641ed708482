// Dynos as desired and observed state in the store: a server killed with SIGKILL comes back and
// starts the same dynos from their rows (no duplicates, `ps` shows them), and the automatic
// rollback window, being a row, still rolls back (once) after a restart inside it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, api, viaRouter, type TestServer } from './helpers/server.js';
import { exampleRepo, commitAll } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { findMarkedProcesses } from '../src/sandbox/process-tree.js';

let s: TestServer;
let dir: string;
let appId: string;
const A = 'adopted';
const env = { SLIPWAY_BOOT_TIMEOUT_SECONDS: '20' };
const run = (args: string[]) => cli(s, [...args, '-a', A], { cwd: dir });
type DynoJson = { id: string; name: string; state: string; release: { version: number } };
const dynos = async () => (await api<DynoJson[]>(s, 'GET', `/apps/${A}/dynos`)).json.filter((d) => d.name.startsWith('web.'));
const mine = (m: string) => m.startsWith(`dyno-${appId.slice(0, 8)}-`);
/** The dyno markers (dyno ids) of this app that have processes. */
function runningMarkers(): string[] {
  const seen = new Set<string>();
  findMarkedProcesses((m) => { if (mine(m)) seen.add(m); return false; });
  return [...seen].sort();
}
const starts = async () => ((await run(['logs', '-n', '1500'])).stdout.match(/Starting process web\.\d/g) ?? []).length;
const bothAnswer = async () => {
  const seen = new Set<string>();
  await waitFor('web.1 and web.2 to answer through the router', async () => { const r = await viaRouter(s, A); if (r.status === 200) seen.add(r.body.split(' ')[2]!); return seen.size === 2; }, 30_000);
  return [...seen].sort();
};

before(async () => {
  s = await startServer(env);
  dir = exampleRepo('web-app', (d) => {
    // /crash ends the dyno (the automatic-rollback test sends it to a release that has it).
    const server = path.join(d, 'server.js');
    fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace("  res.writeHead(200, { 'content-type': 'text/plain' });", "  if (req.url === '/crash' && VERSION === 'crashy') { console.error('fatal: crash asked for'); process.exit(1); }\n  res.writeHead(200, { 'content-type': 'text/plain' });"));
  });
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  appId = (await api<{ id: string }>(s, 'GET', `/apps/${A}`)).json.id;
});
after(async () => { await s.stop(); });

test('a server killed with SIGKILL restarts the same dynos from the store: no duplicates, ps shows them', { timeout: 150_000 }, async () => {
  const b = await run(['builds:create']);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  assert.equal((await run(['ps:scale', 'web=2'])).code, 0);
  assert.deepEqual(await bothAnswer(), ['web.1', 'web.2']);
  const before = await dynos();
  assert.deepEqual(before.map((d) => [d.name, d.state]), [['web.1', 'up'], ['web.2', 'up']]);
  assert.deepEqual(runningMarkers(), before.map((d) => d.id).sort(), 'one dyno per desired row');
  const pidsBefore = findMarkedProcesses(mine);
  const startsBefore = await starts();

  await s.kill();
  s = await startServer(env, s.dataDir);
  assert.deepEqual(await bothAnswer(), ['web.1', 'web.2']);
  const afterKill = await dynos();
  assert.deepEqual(afterKill.map((d) => [d.id, d.name, d.state]), before.map((d) => [d.id, d.name, 'up']), 'the same desired dynos, up again');
  assert.deepEqual(runningMarkers(), before.map((d) => d.id).sort(), 'each dyno runs once: no duplicate of a row, nothing besides the rows');
  // The dynos outlive the server and its local agent: the new agent process adopted the very same processes.
  assert.deepEqual(findMarkedProcesses(mine).sort((a, b) => a - b), [...pidsBefore].sort((a, b) => a - b), 'the same dyno processes run: adopted, none started again, none lost');
  await new Promise((r) => setTimeout(r, 2500)); // a few reconcile passes: none starts anything more
  assert.equal(await starts() - startsBefore, 0, 'no dyno started again after the restart');
  assert.deepEqual(runningMarkers(), before.map((d) => d.id).sort(), 'still one dyno per desired row');
  assert.deepEqual(findMarkedProcesses(mine).sort((a, b) => a - b), [...pidsBefore].sort((a, b) => a - b), 'still the same processes');
  const adopted = (await run(['logs', '-n', '1500'])).stdout.match(/web\.\d: adopted \(process \d+/g) ?? [];
  assert.deepEqual(adopted.map((l) => l.slice(0, 5)).sort(), ['web.1', 'web.2'], 'each dyno adopted once by the new agent process');
  const ps = await run(['ps']);
  assert.match(ps.stdout, /=== web \(standard-1x\): 2/);
  assert.match(ps.stdout, /web\.1: up/);
  assert.match(ps.stdout, /web\.2: up/);
});

test('the automatic-rollback window survives a restart: the new release crashes after it → rolled back once', { timeout: 180_000 }, async () => {
  assert.equal((await run(['config:set', 'SLIPWAY_AUTO_ROLLBACK_SECONDS=300'])).code, 0);
  const good = (await api<{ version: number; current: boolean }[]>(s, 'GET', `/apps/${A}/releases`)).json.find((r) => r.current)!;
  const server = path.join(dir, 'server.js');
  fs.writeFileSync(server, fs.readFileSync(server, 'utf8').replace("const VERSION = 'one';", "const VERSION = 'crashy';"));
  commitAll(dir, 'a release that crashes when asked');
  const b = await run(['builds:create']);
  assert.equal(b.code, 0, b.stdout + b.stderr);
  await waitFor('the crashy code to serve', async () => (await viaRouter(s, A)).body.includes('code crashy'), 30_000);

  await s.kill();
  s = await startServer(env, s.dataDir);
  await waitFor('the crashy code to serve after the restart', async () => (await viaRouter(s, A)).body.includes('code crashy'), 30_000);
  // Both web dynos crash (round robin): one rollback, not two.
  for (let i = 0; i < 4; i++) await viaRouter(s, A, '/crash').catch(() => undefined);
  type ReleaseJson = { version: number; description: string; current: boolean; status: string };
  const rolled = await waitFor('an automatic rollback', async () => (await api<ReleaseJson[]>(s, 'GET', `/apps/${A}/releases`)).json
    .find((r) => r.current && r.status === 'succeeded' && /automatic: web\.\d of v\d+ crashed \d+ s after release/.test(r.description)), 60_000);
  assert.match(rolled.description, new RegExp(`^Rollback to v${good.version} `));
  await waitFor('the good code again', async () => (await viaRouter(s, A)).body.includes('code one'), 30_000);
  await new Promise((r) => setTimeout(r, 3000));
  const automatic = (await api<ReleaseJson[]>(s, 'GET', `/apps/${A}/releases`)).json.filter((r) => r.description.includes('automatic'));
  assert.equal(automatic.length, 1, 'rolled back once');
});
