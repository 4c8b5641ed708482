// Desired and observed dynos against both real databases: scheduling writes placed rows, an
// agent reads complete dynos and reports, the router's table and crash detection follow reports,
// the rollback window is taken once, and a silent agent's dynos move.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { openStore, type Store } from '../src/store/db.js';
import { createApp } from '../src/store/apps.js';
import { createSlug } from '../src/store/builds.js';
import { createRelease, settleRelease } from '../src/store/releases.js';
import { scaleFormation } from '../src/store/formation.js';
import type { Kysely } from 'kysely';
import { ensureAgent } from '../src/store/dyno-agents.js';
import { mintLocalAgentToken } from '../src/store/local-agent-token.js';
import * as noServerOnlyAgent from '../src/store/migrations/034-no-server-only-agent.js';
import { createAgent, recordRegistration, revokeAgent } from '../src/store/agents.js';
import { spacePlanFor } from '../src/store/space-fabric.js';
import { createSpace, placeApp } from '../src/store/spaces.js';
import { listAppDynos } from '../src/store/desired-dynos.js';
import { upWebDynos } from '../src/store/observed-dynos.js';
import { openRollbackWindow, takeRollbackWindow } from '../src/store/rollback-windows.js';
import { scheduleApp, rescheduleStranded } from '../src/scheduler/schedule-app.js';
import { StoreDesiredState, type DynoCrash } from '../src/scheduler/desired-state-store.js';
import type { ObservedDyno } from '../src/runtime/desired-state.js';
import { postgresAvailable, startPostgres, freshDatabase, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let cluster: PgCluster | undefined;

async function freshStore(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  if (dialect === 'sqlite') return openStore({ dataDir: tempDir('slipway-dyno-store-') });
  return openStore({ databaseUrl: await freshDatabase(cluster!, 'dynos'), dataDir: '/nonexistent' });
}

/** An app in the space and one in the common runtime, each deployed at web=2: the agents their dynos are placed on. */
async function placeTwoApps(db: Store['db'], spaceId: string): Promise<{ spaced: Array<string | null>; common: Array<string | null> }> {
  const on: Record<string, Array<string | null>> = {};
  for (const [name, spaced] of [['in-space', true], ['common', false]] as const) {
    const app = await createApp(db, name);
    if (spaced) await placeApp(db, app.id, spaceId, false);
    const slug = await createSlug(db, { app_id: app.id, process_types: JSON.stringify({ web: 'node server.js' }), commit: null, commit_description: null, buildpacks: '[]', size: 1, checksum: '', stack: 'heroku-24' });
    const release = await createRelease(db, { appId: app.id, slugId: slug.id, config: {}, description: 'Deploy' });
    await settleRelease(db, release.id, { type: 'no-release-phase' });
    await scaleFormation(db, app.id, [{ type: 'web', quantity: 2 }]);
    await scheduleApp(db, app.id);
    on[name] = (await listAppDynos(db, app.id)).map((r) => r.agent_id);
  }
  return { spaced: on['in-space']!, common: on['common']! };
}

before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(() => cluster?.stop());

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`dyno state on ${dialect}`, () => {
    const skip = dialect === 'postgres' ? needs('postgres') : false;

    test('SLIPWAY_LOCAL_AGENT=in-process: a space app\'s dynos stay on the server\'s own agent; an agent cannot claim that by its labels', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const db = s.db;
        const server = await ensureAgent(db, 'local');
        const remote = await createAgent(db, 'remote-1');
        await recordRegistration(db, remote.agent.id, { protocolVersion: 1, slots: 4, memoryMb: 8192, address: '10.0.0.9', hostname: 'h', labels: ['slipway:server', 'gpu'] });
        const stored = await db.selectFrom('agents').select('labels').where('id', '=', remote.agent.id).executeTakeFirstOrThrow();
        assert.deepEqual(JSON.parse(stored.labels!), ['gpu'], 'a registering agent cannot claim slipway:server');
        const space = await createSpace(db, 'vault', '10.240.0.0/16');
        const on = await placeTwoApps(db, space.id);
        assert.deepEqual(on.spaced, [server.id, server.id], 'both on the server\'s agent, not spread to the remote one');
        assert.deepEqual([...on.common].sort(), [remote.agent.id, server.id].sort(), 'a common-runtime app spreads over both');
      } finally { await s.close(); }
    });

    test('beside a local agent process a space app\'s dynos go to it (slipway:spaces, the server\'s to give); the server-only agent of before goes with migration 034', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const db = s.db;
        const before = await ensureAgent(db, 'local-server');
        await db.updateTable('agents').set({ labels: JSON.stringify(['slipway:server', 'slipway:server-only']) }).where('id', '=', before.id).execute();
        const kept = await ensureAgent(db, 'in-process');
        await noServerOnlyAgent.up(db as unknown as Kysely<unknown>);
        assert.deepEqual((await db.selectFrom('agents').select('name').execute()).map((a) => a.name), [kept.name], 'only the server-only agent goes');
        await db.deleteFrom('agents').execute();
        await mintLocalAgentToken(db, 'local');
        const local = await db.selectFrom('agents').selectAll().where('name', '=', 'local').executeTakeFirstOrThrow();
        const remote = await createAgent(db, 'remote-1');
        for (const [id, labels] of [[local.id, []], [remote.agent.id, ['slipway:spaces']]] as const) {
          await recordRegistration(db, id, { protocolVersion: 1, slots: 0, memoryMb: 8192, address: '10.0.0.9', hostname: 'h', labels: [...labels] });
        }
        const space = await createSpace(db, 'vault', '10.240.0.0/16');
        const on = await placeTwoApps(db, space.id);
        assert.deepEqual(on.spaced, [local.id, local.id], 'both on the local agent process, not on the agent that claimed slipway:spaces');
        assert.deepEqual([...on.common].sort(), [remote.agent.id, local.id].sort(), 'a common-runtime app spreads over both');
      } finally { await s.close(); }
    });

    test('agents the operator allows to run spaces: a slice each, space dynos spread over them, and each one\'s plan names its peers and their dynos', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const db = s.db;
        await mintLocalAgentToken(db, 'local');
        const local = await db.selectFrom('agents').selectAll().where('name', '=', 'local').executeTakeFirstOrThrow();
        const [a, b, plain] = [await createAgent(db, 'spaces-a', { spaces: true }), await createAgent(db, 'spaces-b', { spaces: true }), await createAgent(db, 'plain')];
        assert.deepEqual([local.space_slice, a.agent.space_slice, b.agent.space_slice, plain.agent.space_slice], [0, 1, 2, null], 'a slice each, given by the server');
        // The local agent reaches the server on loopback: no overlay peer; the others are each other's.
        for (const [id, address] of [[local.id, '127.0.0.1'], [a.agent.id, '10.0.0.2'], [b.agent.id, '10.0.0.3'], [plain.agent.id, '10.0.0.4']] as const) {
          // Claiming a label or a slice at registration gets neither.
          await recordRegistration(db, id, { protocolVersion: 1, slots: 0, memoryMb: 8192, address, hostname: 'h', labels: ['slipway:spaces', 'slipway:local'] });
        }
        assert.equal((await db.selectFrom('agents').select('labels').where('id', '=', plain.agent.id).executeTakeFirstOrThrow()).labels, null);
        await db.deleteFrom('agents').where('id', '=', local.id).execute();
        const space = await createSpace(db, 'vault', '10.240.0.0/16');
        const on = await placeTwoApps(db, space.id);
        assert.deepEqual([...on.spaced].sort(), [a.agent.id, b.agent.id].sort(), 'one space dyno on each spaces agent, none on the plain one');
        const spacedApp = (await db.selectFrom('apps').select('id').where('name', '=', 'in-space').executeTakeFirstOrThrow()).id;
        const dyno = (await listAppDynos(db, spacedApp)).find((r) => r.agent_id === b.agent.id)!;
        await new StoreDesiredState({ db, tenantOf: async () => undefined }).report(b.agent.id, [{ id: dyno.id, appId: spacedApp, releaseId: dyno.release_id, type: 'web', name: dyno.name, state: 'up', host: '10.0.0.3', port: 40000, restarts: 0, changedAt: new Date().toISOString(), spaceAddress: '10.240.8.2' }]);
        const plan = (await spacePlanFor(db, a.agent.id, 30_000))!;
        assert.deepEqual(plan.spaces.map((x) => x.name), ['vault']);
        assert.deepEqual(plan.fabric.peers, [{ address: '10.0.0.3', slice: 2 }], 'its peer, not itself nor the plain agent');
        assert.deepEqual(plan.fabric.zone, [{ spaceId: space.id, app: 'in-space', process: 'web', index: Number(dyno.name.split('.')[1]), address: '10.240.8.2' }], 'the other host\'s space dyno, for its resolver');
        assert.equal(await spacePlanFor(db, plain.agent.id, 30_000), undefined, 'a plain agent has no plan');
        // A revoked spaces agent's slice is given again (the lowest free first: the local agent's row is gone too).
        await revokeAgent(db, 'spaces-a');
        assert.deepEqual([(await createAgent(db, 'spaces-c', { spaces: true })).agent.space_slice, (await createAgent(db, 'spaces-d', { spaces: true })).agent.space_slice], [0, 1]);
      } finally { await s.close(); }
    });

    test('deploy, report, crash, window, agent loss', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const db = s.db;
        const a = await ensureAgent(db, 'a');
        const b = await ensureAgent(db, 'b', { slots: 4, memoryMb: 4096 });
        assert.equal((await ensureAgent(db, 'a')).id, a.id, 'registering again finds the same agent');
        const app = await createApp(db, 'shop');
        const slug = await createSlug(db, { app_id: app.id, process_types: JSON.stringify({ web: 'node server.js', worker: 'node w.js' }), commit: null, commit_description: null, buildpacks: '[]', size: 1, checksum: '', stack: 'heroku-24' });
        const release = await createRelease(db, { appId: app.id, slugId: slug.id, config: { GREETING: 'hi' }, description: 'Deploy abc' });
        await settleRelease(db, release.id, { type: 'no-release-phase' });
        await scaleFormation(db, app.id, [{ type: 'web', quantity: 2 }, { type: 'worker', quantity: 1 }]);

        const first = await scheduleApp(db, app.id);
        assert.equal(first.changed, true);
        assert.equal(first.newRelease?.id, release.id);
        const rows = await listAppDynos(db, app.id);
        assert.deepEqual(rows.map((r) => [r.name, r.state, r.version]), [['web.1', 'starting', release.version], ['web.2', 'starting', release.version], ['worker.1', 'starting', release.version]]);
        assert.notEqual(rows[0]!.agent_id, rows[1]!.agent_id, 'web dynos spread over both agents');
        assert.equal((await scheduleApp(db, app.id)).changed, false, 'scheduling again changes nothing');

        const crashes: DynoCrash[] = [];
        let reported = 0;
        const port = new StoreDesiredState({ db, tenantOf: async () => ({ uid: 100500, gid: 100500 }), onCrash: (c) => crashes.push(c), onReported: async () => { reported++; } });
        const onA = await port.desired(a.id);
        const onB = await port.desired(b.id);
        assert.equal(onA.length + onB.length, 3);
        const web = [...onA, ...onB].find((d) => d.name === 'web.1')!;
        assert.deepEqual({ ...web, id: '', generation: 0 }, { id: '', appId: app.id, releaseId: release.id, version: release.version, slugId: slug.id, type: 'web', name: 'web.1', command: 'node server.js', env: { GREETING: 'hi' }, size: 'standard-1x', tenant: { uid: 100500, gid: 100500 }, space: null, generation: 0 });

        const observe = (d: typeof web, state: ObservedDyno['state'], restarts = 0): ObservedDyno => ({ id: d.id, appId: d.appId, releaseId: d.releaseId, type: d.type, name: d.name, state, host: '10.0.0.1', port: 5001, restarts, changedAt: new Date().toISOString() });
        const agentOf = onA.includes(web) ? a.id : b.id;
        const sameAgent = (onA.includes(web) ? onA : onB).filter((d) => d !== web);
        await port.report(agentOf, [observe(web, 'up'), ...sameAgent.map((d) => observe(d, 'starting'))]);
        assert.equal(reported, 1);
        assert.deepEqual((await upWebDynos(db, 60_000)).get(app.id), [{ id: web.id, host: '10.0.0.1', port: 5001, name: 'web.1', local: true }], 'the router reaches the dyno where its agent said');
        assert.equal((await listAppDynos(db, app.id)).find((r) => r.name === 'web.1')!.state, 'up');
        await port.report(agentOf, [observe(web, 'starting', 1)]);
        assert.deepEqual(crashes, [{ appId: app.id, releaseId: release.id, name: 'web.1', type: 'web' }], 'up, then restarted: a crash');
        assert.equal((await upWebDynos(db, 60_000)).get(app.id), undefined);

        await openRollbackWindow(db, app.id, release.id, new Date().toISOString());
        assert.deepEqual(await Promise.all([takeRollbackWindow(db, app.id, release.id), takeRollbackWindow(db, app.id, release.id)]).then((r) => r.sort()), [false, true], 'one rollback, however many crashes');

        // Agent b goes silent: what it ran moves to a; a restart of worker.1 gives a new id and generation.
        await port.report(agentOf, [observe(web, 'up', 1)]);
        await db.updateTable('agents').set({ last_seen_at: new Date(Date.now() - 120_000).toISOString() }).where('id', '=', agentOf).execute();
        assert.equal((await upWebDynos(db, 60_000)).get(app.id), undefined, 'a silent agent\'s dynos leave the router');
        await db.updateTable('agents').set({ last_seen_at: new Date().toISOString() }).where('id', '=', agentOf).execute();
        await db.updateTable('agents').set({ last_seen_at: new Date(Date.now() - 120_000).toISOString() }).where('id', '=', b.id).execute();
        assert.deepEqual(await rescheduleStranded(db, 60_000), [app.id]);
        const moved = await listAppDynos(db, app.id);
        assert.deepEqual(moved.map((r) => r.agent_id), [a.id, a.id, a.id]);
        const gen = async (name: string) => (await db.selectFrom('desired_dynos').select(['id', 'generation']).where('app_id', '=', app.id).where('name', '=', name).executeTakeFirstOrThrow());
        const worker = await gen('worker.1');
        await scheduleApp(db, app.id, { restart: 'worker.1', lostAfterMs: 60_000 });
        const restarted = await gen('worker.1');
        assert.notEqual(restarted.id, worker.id, 'a restart is a new dyno');
        assert.equal(restarted.generation, worker.generation + 1);
      } finally {
        await s.close();
      }
    });
  });
}

/** Replica 2: another process scheduling `apps` on the same database at `startAt`, as a second server would. */
function otherReplica(url: string, apps: string[], startAt: number): Promise<string> {
  const script = `
    const { openStore } = await import(${JSON.stringify(new URL('../src/store/db.js', import.meta.url).href)});
    const { scheduleApp } = await import(${JSON.stringify(new URL('../src/scheduler/schedule-app.js', import.meta.url).href)});
    const s = await openStore({ databaseUrl: process.env.URL, dataDir: '/nonexistent' });
    await new Promise((r) => setTimeout(r, Math.max(0, Number(process.env.AT) - Date.now())));
    await Promise.all(JSON.parse(process.env.APPS).map((a) => scheduleApp(s.db, a)));
    await s.close();`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', URL: url, APPS: JSON.stringify(apps), AT: String(startAt) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => { out += c; });
    child.stderr.on('data', (c) => { out += c; });
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`replica 2 exited ${code}: ${out}`))));
  });
}

test('two replicas scheduling the same apps at the same moment place each dyno once (the plan is made under a lock in the store)', { skip: needs('postgres'), timeout: 60_000 }, async () => {
  const url = await freshDatabase(cluster!, 'dynoreplicas');
  const s = await openStore({ databaseUrl: url, dataDir: '/nonexistent' });
  try {
    const db = s.db;
    const agent = await createAgent(db, 'remote-1');
    await recordRegistration(db, agent.agent.id, { protocolVersion: 1, slots: 4, memoryMb: 64 * 1024, address: '10.0.0.9', hostname: 'h', labels: [] });
    const apps: string[] = [];
    for (let i = 0; i < 8; i++) {
      const app = await createApp(db, `race-${i}`);
      const slug = await createSlug(db, { app_id: app.id, process_types: JSON.stringify({ web: 'node server.js', worker: 'node worker.js' }), commit: null, commit_description: null, buildpacks: '[]', size: 1, checksum: '', stack: 'heroku-24' });
      const release = await createRelease(db, { appId: app.id, slugId: slug.id, config: {}, description: 'Deploy' });
      await settleRelease(db, release.id, { type: 'no-release-phase' });
      await scaleFormation(db, app.id, [{ type: 'web', quantity: 3 }, { type: 'worker', quantity: 2 }]);
      apps.push(app.id);
    }
    const startAt = Date.now() + 2000;
    const other = otherReplica(url, apps, startAt);
    await new Promise((r) => setTimeout(r, startAt - Date.now()));
    await Promise.all([other, ...apps.map((a) => scheduleApp(db, a))]);
    for (const a of apps) {
      const names = (await listAppDynos(db, a)).map((d) => d.name).sort();
      assert.deepEqual(names, ['web.1', 'web.2', 'web.3', 'worker.1', 'worker.2'], 'each dyno once');
    }
  } finally { await s.close(); }
});
