// Two agents on one store: the server's own (`local`) and a second, in-process reconciler this test
// runs through the same modules (its own agent row, its own work folder; test-only, not a setting).
// web=2 is placed one dyno per agent and served through the router from both; when the second
// agent goes silent its dyno is placed on the other one and the router follows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, cli, viaRouter, serverLogTails, type TestServer } from './helpers/server.js';
import { exampleRepo } from './helpers/apps.js';
import { waitFor } from './helpers/runs.js';
import { openStore, type Store } from '../src/store/db.js';
import { createSandbox } from '../src/sandbox/sandbox.js';
import { createEmbeddedDynos, type EmbeddedDynos } from '../src/scheduler/embedded-dynos.js';
import { AGENT_LOST_MS } from '../src/scheduler/schedule-app.js';
import { tempDir } from './helpers/temp.js';
import { storeKeyring } from './helpers/sealed.js';

let s: TestServer;
let store: Store;
let second: EmbeddedDynos | undefined;
let workRoot: string;
const A = 'spread';
const run = (args: string[]) => cli(s, [...args, '-a', A]);
const quiet = { info: () => {}, warn: () => {}, error: (l: string) => console.error(l) };

before(async () => {
  s = await startServer({ SLIPWAY_BOOT_TIMEOUT_SECONDS: '20' });
  // The second agent reads desired dynos (their config is sealed): the store opens with the server's key.
  store = await openStore({ dataDir: s.dataDir, keyring: () => storeKeyring(s) });
  workRoot = tempDir('slipway-agents-dynos-');
  fs.chmodSync(workRoot, 0o711);
  second = await createEmbeddedDynos({
    db: store.db, agentName: 'second', intervalMs: 500, log: quiet, tenantOf: async () => undefined,
    slugFile: async (id) => path.join(s.dataDir, 'slugs', `${id}.tgz`), onRoutesChanged: async () => {}, onCrash: () => {},
    manager: { sandbox: createSandbox({ mode: 'process', userName: 'nobody', hidden: [], graceMs: 2000 }), workRoot, bootTimeoutMs: 20_000, stopGraceMs: 2000, log: () => {} },
  });
  await second.start();
});
after(async () => {
  await second?.close();
  await store.close();
  await s.stop();
  fs.rmSync(workRoot, { recursive: true, force: true });
});

const placement = async () => (await store.db.selectFrom('desired_dynos as d').innerJoin('agents as g', 'g.id', 'd.agent_id').innerJoin('apps as a', 'a.id', 'd.app_id')
  .select(['d.name', 'g.name as agent']).where('a.name', '=', A).orderBy('d.name').execute()).map((r) => `${r.name}@${r.agent}`);
const answering = async (names: string[], ms: number) => {
  const seen = new Set<string>();
  await waitFor(`${names.join(' and ')} to answer through the router`, async () => { const r = await viaRouter(s, A); if (r.status === 200) seen.add(r.body.split(' ')[2]!); return names.every((n) => seen.has(n)); }, ms);
};

test('web=2 over two agents: one dyno on each, both served through the router', { timeout: 150_000 }, async () => {
  assert.equal((await cli(s, ['apps:create', A])).code, 0);
  const b = await cli(s, ['builds:create', '-a', A], { cwd: exampleRepo('web-app') });
  assert.equal(b.code, 0, b.stdout + b.stderr);
  const [first] = await placement();
  assert.match(first!, /^web\.1@(local|second)$/);
  const scaled = await run(['ps:scale', 'web=2']);
  assert.equal(scaled.code, 0, `${scaled.stdout}${scaled.stderr}\n${serverLogTails(s)}`);
  const other = first!.endsWith('@local') ? 'second' : 'local';
  assert.deepEqual(await placement(), [first, `web.2@${other}`], 'web.1 stays where it was, web.2 goes to the agent without one');
  await answering(['web.1', 'web.2'], 30_000);
  const observed = await store.db.selectFrom('observed_dynos as o').innerJoin('agents as g', 'g.id', 'o.agent_id').innerJoin('apps as a', 'a.id', 'o.app_id')
    .select(['o.name', 'g.name as agent', 'o.state']).where('a.name', '=', A).orderBy('o.name').execute();
  assert.deepEqual(observed.map((o) => `${o.name}@${o.agent}:${o.state}`), [`${first}:up`, `web.2@${other}:up`], 'each agent reported its dyno up (the router reached it at that address)');
});

test('an agent that goes silent: its dyno is placed on the other agent and the router follows', { timeout: 150_000 }, async () => {
  const silentAt = Date.now();
  await second!.close(); // stops its dynos and its heartbeat
  second = undefined;
  const moved = (await placement()).find((p) => p.endsWith('@second'))!.split('@')[0]!;
  await waitFor(`${moved} to move to the local agent`, async () => (await placement()).join() === 'web.1@local,web.2@local', AGENT_LOST_MS + 20_000);
  await answering([moved], 30_000);
  const failover = Date.now() - silentAt;
  console.log(`${moved} served again ${(failover / 1000).toFixed(1)} s after its agent went silent (agent lost after ${AGENT_LOST_MS / 1000} s)`);
  assert.ok(failover < AGENT_LOST_MS + 20_000);
});
