// One-off dynos in the store, against both real databases: placement (memory counted with the
// formation's dynos and other live one-offs, the server for server-bound apps, the server's own
// agents never chosen for the rest, no room → one_off_no_room), and a one-off job claimed only by
// the agent it was placed on.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../src/store/db.js';
import { createApp } from '../src/store/apps.js';
import { createSpace, placeApp } from '../src/store/spaces.js';
import { ensureAgent } from '../src/store/dyno-agents.js';
import { mintLocalAgentToken } from '../src/store/local-agent-token.js';
import { createAgent, recordRegistration } from '../src/store/agents.js';
import { insertOneOff, markOneOffDown } from '../src/store/one-off-dynos.js';
import { claim, enqueue } from '../src/jobs/queue.js';
import { placeOneOff } from '../src/scheduler/one-off-placement.js';
import { releaseAgent } from '../src/scheduler/schedule-app.js';
import { insertAppAddon } from '../src/store/app-addons.js';
import { expireUnclaimedOneOffs, failLostOneOff, oneOffKeyPrefix, oneOffLogKey, startOnAgent } from '../src/releases/agent-one-offs.js';
import { LogBook } from '../src/logs/log-book.js';
import { InputRelays } from '../src/runtime/one-off-relay.js';
import { appLogKey } from '../src/releases/app-log.js';
import { postgresAvailable, startPostgres, freshDatabase, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let cluster: PgCluster | undefined;

async function freshStore(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  if (dialect === 'sqlite') return openStore({ dataDir: tempDir('slipway-one-off-store-') });
  return openStore({ databaseUrl: await freshDatabase(cluster!, 'oneoffs'), dataDir: '/nonexistent' });
}

before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(() => cluster?.stop());

const OPTS = { serverRuns: false, serverBoundRuns: true, lostAfterMs: 30_000 };

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`one-off dynos on ${dialect}`, () => {
    const skip = dialect === 'postgres' ? needs('postgres') : false;

    test('placed by memory beside live one-offs; server-bound apps stay with the server; no room is an error', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const db = s.db;
        await ensureAgent(db, 'server');
        const far = await createAgent(db, 'far');
        await recordRegistration(db, far.agent.id, { protocolVersion: 1, slots: 0, memoryMb: 1024, address: '10.0.0.9', hostname: 'h', labels: [] });
        const app = await createApp(db, 'runner');
        assert.deepEqual(await placeOneOff(db, app.id, 'standard-1x', OPTS), { server: false, agentId: far.agent.id }, 'on the agent, never on the server\'s own');
        await assert.rejects(placeOneOff(db, app.id, 'performance-m', OPTS), (e: Error & { id?: string }) => e.id === 'one_off_no_room' && /No agent has room for a performance-m/.test(e.message));
        // Two live 512 MB one-offs fill the agent's 1024 MB; one ending frees room again.
        for (const id of ['r1', 'r2']) await insertOneOff(db, { id, app_id: app.id, name: id, command: 'x', size: 'standard-1x', agent_id: far.agent.id, attach: 0 });
        await assert.rejects(placeOneOff(db, app.id, 'standard-1x', OPTS), (e: Error & { id?: string }) => e.id === 'one_off_no_room');
        assert.deepEqual(await placeOneOff(db, app.id, 'standard-1x', { ...OPTS, serverRuns: true }), { server: true }, 'a server that runs dynos itself takes it');
        await markOneOffDown(db, 'r2', 0);
        assert.equal((await placeOneOff(db, app.id, 'standard-1x', OPTS) as { agentId?: string }).agentId, far.agent.id);
        const spaced = await createApp(db, 'spaced');
        await placeApp(db, spaced.id, (await createSpace(db, 'vault', '10.240.0.0/16')).id, false);
        // SLIPWAY_LOCAL_AGENT=in-process: the server runs the spaces, and a space's one-offs (when it runs dynos at all).
        assert.deepEqual(await placeOneOff(db, spaced.id, 'standard-1x', { ...OPTS, serverRuns: true }), { server: true });
        await assert.rejects(placeOneOff(db, spaced.id, 'standard-1x', { ...OPTS, serverRuns: true, serverBoundRuns: false }), (e: Error & { id?: string }) => e.id === 'one_off_no_room');
        // A local agent process runs the spaces (a label the server gives; an agent claiming it at registration does not get it).
        await recordRegistration(db, far.agent.id, { protocolVersion: 1, slots: 0, memoryMb: 1024, address: '10.0.0.9', hostname: 'h', labels: ['slipway:spaces'] });
        await assert.rejects(placeOneOff(db, spaced.id, 'standard-1x', OPTS), (e: Error & { id?: string }) => e.id === 'one_off_no_room' && /private spaces, is not online/.test(e.message));
        await mintLocalAgentToken(db, 'local');
        const local = (await db.selectFrom('agents').selectAll().where('name', '=', 'local').executeTakeFirstOrThrow());
        await recordRegistration(db, local.id, { protocolVersion: 1, slots: 0, memoryMb: 4096, address: '127.0.0.1', hostname: 'h', labels: ['mine'] });
        assert.deepEqual(JSON.parse((await db.selectFrom('agents').select('labels').where('id', '=', local.id).executeTakeFirstOrThrow()).labels!), ['slipway:spaces', 'slipway:local', 'mine'], 'the labels the server gave stay');
        for (let i = 0; i < 3; i++) assert.deepEqual(await placeOneOff(db, spaced.id, 'standard-1x', OPTS), { server: false, agentId: local.id }, 'on the agent that runs the spaces only');
        assert.equal(await releaseAgent(db, spaced.id), local.id, 'and its release phases');
        await db.updateTable('agents').set({ last_seen_at: new Date(Date.now() - 60_000).toISOString() }).where('id', 'in', [far.agent.id, local.id]).execute();
        await assert.rejects(placeOneOff(db, app.id, 'standard-1x', OPTS), (e: Error) => /No agent is online/.test(e.message));
      } finally { await s.close(); }
    });

    test('an app with add-ons: its one-offs and release phases go to the agent that runs its add-on servers only', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const db = s.db;
        const q = { db, dialect: s.dialect };
        const server = await ensureAgent(db, 'server');
        const local = await createAgent(db, 'local');
        const far = await createAgent(db, 'far');
        for (const a of [local, far]) await recordRegistration(db, a.agent.id, { protocolVersion: 1, slots: 0, memoryMb: 4096, address: '127.0.0.1', hostname: 'h', labels: [] });
        const app = await createApp(db, 'with-db');
        await insertAppAddon(db, { id: 'ad1', app_id: app.id, name: 'DATABASE', plan: 'heroku-postgresql', service: 'postgresql', provider: 'ephemeral-postgres', port: 5999, url: 'postgres://u:p@100.80.0.9:5999/d', database: null, agent_id: local.agent.id });
        for (let i = 0; i < 3; i++) assert.deepEqual(await placeOneOff(db, app.id, 'standard-1x', OPTS), { server: false, agentId: local.agent.id }, 'never on another agent');
        assert.equal(await releaseAgent(db, app.id), local.agent.id);
        await enqueue(q, 'release', { releaseId: 'r1' }, { key: 'release:r1', agentId: await releaseAgent(db, app.id) });
        assert.equal(await claim(q, ['release'], 'embedded/x', 30_000), undefined, 'not by the server\'s runner (nor any agent\'s job slots)');
        assert.equal(await claim(q, ['release'], 'agent:far/i', 30_000, undefined, far.agent.id), undefined);
        assert.equal((await claim(q, ['release'], 'agent:local/i', 30_000, undefined, local.agent.id))?.key, 'release:r1');
        await db.updateTable('agents').set({ last_seen_at: new Date(Date.now() - 60_000).toISOString() }).where('id', '=', local.agent.id).execute();
        await assert.rejects(placeOneOff(db, app.id, 'standard-1x', OPTS), (e: Error & { id?: string }) => e.id === 'one_off_no_room' && /Agent local, which runs this app's add-on servers, is not online/.test(e.message));
        // Run by the server's own agent (SLIPWAY_LOCAL_AGENT=in-process), or made before add-ons had one: the server runs them.
        await db.updateTable('app_addons').set({ agent_id: server.id }).execute();
        assert.deepEqual(await placeOneOff(db, app.id, 'standard-1x', OPTS), { server: true });
        assert.equal(await releaseAgent(db, app.id), undefined, 'any runner of the server');
        await db.updateTable('app_addons').set({ agent_id: null }).execute();
        assert.deepEqual(await placeOneOff(db, app.id, 'standard-1x', OPTS), { server: true });
      } finally { await s.close(); }
    });

    test('a one-off job is claimed by the agent it was placed on only', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const q = { db: s.db, dialect: s.dialect };
        // An id with LIKE's wildcards: a prefix is matched as text.
        await enqueue(q, 'one-off', { id: 'r1' }, { key: `${oneOffKeyPrefix('ag_1')}r1` });
        assert.equal(await claim(q, ['one-off'], 'agent:ag21/i', 30_000, oneOffKeyPrefix('ag21')), undefined);
        assert.equal(await claim(q, ['one-off'], 'agent:agX1/i', 30_000, oneOffKeyPrefix('agX1')), undefined, '_ is not a wildcard');
        assert.equal((await claim(q, ['one-off'], 'agent:ag_1/i', 30_000, oneOffKeyPrefix('ag_1')))?.key, 'one-off:ag_1:r1');
      } finally { await s.close(); }
    });
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`on ${dialect}: a one-off no agent took in time, and one whose agent was lost, end with the reason in their output and the app's log`, { skip: dialect === 'postgres' ? needs('postgres') : false, timeout: 60_000 }, async () => {
    const s = await freshStore(dialect);
    const logs = new LogBook(tempDir('slipway-one-off-logs-'));
    const ctx = { store: s, queue: { db: s.db, dialect: s.dialect }, logs, log: { info() {}, warn() {}, error() {} }, oneOffs: { relays: new InputRelays() }, tenants: { forApp: async () => undefined } };
    try {
      const app = await createApp(s.db, 'strays');
      const start = () => startOnAgent(ctx, 'gone-agent', { appId: app.id, releaseId: 'rel', slugId: 'slug', command: 'sleep 1', env: {}, size: 'standard-1x', attach: true });
      const unclaimed = await start();
      const fresh = await start();
      await s.db.updateTable('jobs').set({ created_at: new Date(Date.now() - 120_000).toISOString() }).where('key', '=', `${oneOffKeyPrefix('gone-agent')}${unclaimed.id}`).execute();
      await expireUnclaimedOneOffs(ctx);
      const state = async (id: string) => (await s.db.selectFrom('one_off_dynos').select(['state', 'exit_code']).where('id', '=', id).executeTakeFirstOrThrow());
      assert.deepEqual({ ...await state(unclaimed.id) }, { state: 'down', exit_code: null });
      assert.match(logs.read(oneOffLogKey(unclaimed.id)), /No agent took this one-off dyno within 60 s/);
      assert.equal((await state(fresh.id)).state, 'starting', 'a one-off queued a moment ago waits for its agent');
      assert.equal(await claim(ctx.queue, ['one-off'], 'agent:gone-agent/i', 30_000, oneOffKeyPrefix('gone-agent')).then((j) => j && JSON.parse(j.payload).id), fresh.id, 'the expired one is not handed out any more');
      const job = (await s.db.selectFrom('jobs').selectAll().where('key', '=', `${oneOffKeyPrefix('gone-agent')}${fresh.id}`).executeTakeFirstOrThrow());
      assert.equal(await failLostOneOff(ctx, job), true);
      assert.deepEqual({ ...await state(fresh.id) }, { state: 'down', exit_code: null });
      assert.match(logs.read(appLogKey(app.id)), new RegExp(`heroku\\[${fresh.name.replace('.', '\\.')}\\]: Process lost: The agent running this one-off dyno was lost`));
      assert.equal(logs.isLive(oneOffLogKey(fresh.id)), false, 'its output stream ends (an attached client is let go)');
    } finally { await s.close(); }
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`on ${dialect}: one-offs of one app started at once, from two server replicas, get distinct run.N names`, { skip: dialect === 'postgres' ? needs('postgres') : false, timeout: 60_000 }, async () => {
    const url = dialect === 'postgres' ? await freshDatabase(cluster!, 'oneoffnames') : undefined;
    const dataDir = tempDir('slipway-one-off-names-');
    const open = () => openStore(url ? { databaseUrl: url, dataDir: '/nonexistent' } : { dataDir });
    const first = await open();
    // Two replicas on Postgres; the embedded default's SQLite has one server.
    const second = url ? await open() : first;
    const logs = new LogBook(tempDir('slipway-one-off-logs-'));
    const ctxOf = (s: Store) => ({ store: s, queue: { db: s.db, dialect: s.dialect }, logs, log: { info() {}, warn() {}, error() {} }, oneOffs: { relays: new InputRelays() }, tenants: { forApp: async () => undefined } });
    try {
      const app = await createApp(first.db, 'crowd');
      const start = (s: Store) => startOnAgent(ctxOf(s), 'busy-agent', { appId: app.id, releaseId: 'rel', slugId: 'slug', command: 'true', env: {}, size: 'standard-1x', attach: false });
      for (let round = 0; round < 3; round++) {
        const started = await Promise.all(Array.from({ length: 8 }, (_, i) => start(i % 2 ? second : first)));
        assert.equal(new Set(started.map((r) => r.name)).size, 8, `round ${round}: ${started.map((r) => r.name).sort().join(' ')}`);
      }
      const names = (await first.db.selectFrom('one_off_dynos').select('name').where('app_id', '=', app.id).execute()).map((r) => Number(r.name.slice(4))).sort((a, b) => a - b);
      assert.deepEqual(names, Array.from({ length: 24 }, (_, i) => i + 1), 'run.1 … run.24, each once');
    } finally { await first.close(); if (second !== first) await second.close(); }
  });
}
