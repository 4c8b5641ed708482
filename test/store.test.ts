// The store and the job queue against both real databases: SQLite and a throwaway PostgreSQL.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../src/store/db.js';
import { createPipeline, getPipeline } from '../src/store/pipelines.js';
import { createTestRun, createTestNodes, applyNodeEvent, getTestRun, insertTestCases, countTestCases, listTestRuns, testRunBranches } from '../src/store/test-runs.js';
import { patchStageConfig, getStageConfig } from '../src/store/stage-config-vars.js';
import { createToken, verifyToken } from '../src/store/tokens.js';
import { createApp } from '../src/store/apps.js';
import { createRelease, settleRelease, currentRelease } from '../src/store/releases.js';
import { enqueue, claim, heartbeat, finish, requestCancel, takeExpired } from '../src/jobs/queue.js';
import { postgresAvailable, startPostgres, freshDatabase, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let cluster: PgCluster | undefined;

async function freshStore(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  if (dialect === 'sqlite') return openStore({ dataDir: tempDir('slipway-store-') });
  return openStore({ databaseUrl: await freshDatabase(cluster!, 't'), dataDir: '/nonexistent' });
}

const newRun = (pipelineId: string) => ({ pipelineId, commitBranch: 'main', commitSha: 'abc1234', commitMessage: 'm', sourceBlobUrl: 'http://x/sources/1/blob', sourceId: null, clearCache: false, timeoutSeconds: 60, actor: 'admin' });

before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(() => cluster?.stop());

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`store on ${dialect}`, () => {
    const skip = dialect === 'postgres' ? needs('postgres') : false;

    test('migrations are safe to run twice', { skip }, async () => {
      const dir = tempDir('slipway-store-');
      if (dialect === 'sqlite') {
        (await openStore({ dataDir: dir })).close();
        const again = await openStore({ dataDir: dir });
        await again.close();
      } else {
        const s = await freshStore(dialect);
        await s.close();
      }
    });

    test('test runs are numbered 1, 2, 3… per pipeline, also when created concurrently', { skip }, async () => {
      const s = await freshStore(dialect);
      try {
        const a = await createPipeline(s.db, 'alpha');
        const b = await createPipeline(s.db, 'beta');
        const runs = await Promise.all(Array.from({ length: 8 }, () => createTestRun(s.db, newRun(a.id))));
        assert.deepEqual(runs.map((r) => r.number).sort((x, y) => x - y), [1, 2, 3, 4, 5, 6, 7, 8]);
        assert.equal((await createTestRun(s.db, newRun(b.id))).number, 1);
        assert.equal((await getPipeline(s.db, 'alpha')).test_run_counter, 8);
        assert.deepEqual((await listTestRuns(s.db, a.id, { limit: 3 })).map((r) => r.number), [8, 7, 6]);
        await assert.rejects(createPipeline(s.db, 'alpha'), { id: 'name_taken' });
        await assert.rejects(getPipeline(s.db, 'nope'), { id: 'pipeline_not_found' });
      } finally { await s.close(); }
    });

    test('the Tests tab\'s branch suggestions: the branches of the recent runs, the most recently run first', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const p = await createPipeline(s.db, 'branchy');
        for (const branch of ['old-feature', 'main', 'fix-1', 'main', 'fix-2', 'fix-1']) await createTestRun(s.db, { ...newRun(p.id), commitBranch: branch });
        assert.deepEqual(await testRunBranches(s.db, p.id), ['fix-1', 'fix-2', 'main', 'old-feature']);
        assert.deepEqual(await testRunBranches(s.db, p.id, 2), ['fix-1', 'fix-2'], 'at most `limit`');
        assert.deepEqual(await testRunBranches(s.db, p.id, 50, 5), ['fix-1', 'fix-2', 'main'], 'only the last `recent` runs count: old-feature ran 6 runs ago');
      } finally { await s.close(); }
    });

    test('node events move statuses through the pure transitions and the run aggregates', { skip }, async () => {
      const s = await freshStore(dialect);
      try {
        const p = await createPipeline(s.db, 'agg');
        const run = await createTestRun(s.db, newRun(p.id));
        const [n0, n1] = await createTestNodes(s.db, run.id, 2);
        for (const n of [n0!, n1!]) { await applyNodeEvent(s.db, n.id, { type: 'provision' }); await applyNodeEvent(s.db, n.id, { type: 'build' }); await applyNodeEvent(s.db, n.id, { type: 'test' }); }
        assert.equal((await getTestRun(s.db, run.id)).status, 'running');
        await applyNodeEvent(s.db, n0!.id, { type: 'finish', outcome: 'succeeded' });
        assert.equal((await getTestRun(s.db, run.id)).status, 'running');
        await applyNodeEvent(s.db, n1!.id, { type: 'finish', outcome: 'failed' }, { exitCode: 1 });
        const done = await getTestRun(s.db, run.id);
        assert.equal(done.status, 'failed');
        assert.ok(done.finished_at);
        assert.equal(await applyNodeEvent(s.db, n1!.id, { type: 'error' }), false, 'a finished node does not change');
        await insertTestCases(s.db, run.id, n0!.id, [{ number: 1, description: 'a', status: 'passed', diagnostic: null }, { number: 2, description: 'b', status: 'skipped', diagnostic: null }]);
        assert.deepEqual((await countTestCases(s.db, [run.id])).get(run.id), { passed: 1, failed: 0, skipped: 1, todo: 0 });
      } finally { await s.close(); }
    });

    test('nodes of one run ending at the same moment (two replicas): the run always ends', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const p = await createPipeline(s.db, 'race');
        for (let i = 0; i < 15; i++) {
          const run = await createTestRun(s.db, newRun(p.id));
          const nodes = await createTestNodes(s.db, run.id, 3);
          for (const n of nodes) { await applyNodeEvent(s.db, n.id, { type: 'build' }); await applyNodeEvent(s.db, n.id, { type: 'test' }); }
          await Promise.all(nodes.map((n) => applyNodeEvent(s.db, n.id, { type: 'finish', outcome: 'succeeded' })));
          assert.equal((await getTestRun(s.db, run.id)).status, 'succeeded', `run ${i + 1}: every node ended, so has the run`);
        }
      } finally { await s.close(); }
    });

    test('a release that settles late never replaces a newer current release; a settled one never changes', { skip }, async () => {
      const s = await freshStore(dialect);
      try {
        const app = await createApp(s.db, 'late-settle');
        const v1 = await createRelease(s.db, { appId: app.id, slugId: null, config: {}, description: 'v1' });
        const v2 = await createRelease(s.db, { appId: app.id, slugId: null, config: {}, description: 'v2 (release phase still running)' });
        const v3 = await createRelease(s.db, { appId: app.id, slugId: null, config: {}, description: 'v3 (a rollback, say)' });
        await settleRelease(s.db, v1.id, { type: 'no-release-phase' });
        assert.equal((await settleRelease(s.db, v3.id, { type: 'no-release-phase' })).current, 1);
        const late = await settleRelease(s.db, v2.id, { type: 'release-phase-passed' });
        assert.deepEqual([late.status, late.current], ['succeeded', 0]);
        assert.equal((await currentRelease(s.db, app.id))!.version, 3);
        await assert.rejects(settleRelease(s.db, v2.id, { type: 'release-phase-failed' }), /a succeeded release cannot change/);
      } finally { await s.close(); }
    });

    test('stage config vars: set, overwrite, unset with null', { skip }, async () => {
      const s = await freshStore(dialect);
      try {
        const p = await createPipeline(s.db, 'cfg');
        await patchStageConfig(s.db, p.id, 'test', { A: '1', B: '2' });
        assert.deepEqual(await patchStageConfig(s.db, p.id, 'test', { A: 'one', B: null }), { A: 'one' });
        assert.deepEqual(await getStageConfig(s.db, p.id, 'staging'), {});
      } finally { await s.close(); }
    });

    test('tokens are stored as hashes and verified', { skip }, async () => {
      const s = await freshStore(dialect);
      try {
        const t = await createToken(s.db, 'admin');
        assert.ok(await verifyToken(s.db, t));
        assert.equal(await verifyToken(s.db, t + 'x'), undefined);
        const row = await s.db.selectFrom('tokens').select('hash').executeTakeFirstOrThrow();
        assert.notEqual(row.hash, t);
      } finally { await s.close(); }
    });

    test('queue: claim leases one job to one owner, in order; heartbeat; finish', { skip }, async () => {
      const s = await freshStore(dialect);
      const q = { db: s.db, dialect: s.dialect };
      try {
        const a = await enqueue(q, 'k', { n: 1 }, { key: 'a' });
        assert.equal((await enqueue(q, 'k', { n: 99 }, { key: 'a' })).id, a.id, 'keys make enqueue idempotent');
        await enqueue(q, 'k', { n: 2 });
        const [c1, c2, c3] = await Promise.all([claim(q, ['k'], 'o1', 10_000), claim(q, ['k'], 'o2', 10_000), claim(q, ['k'], 'o3', 10_000)]);
        const got = [c1, c2, c3].filter(Boolean);
        assert.equal(got.length, 2, 'two jobs, two claims succeed');
        assert.equal(new Set(got.map((j) => j!.id)).size, 2);
        const first = got.find((j) => j!.id === a.id)!;
        assert.deepEqual(await heartbeat(q, first.id, first.lease_owner!, 10_000), { cancel: false, lost: false });
        assert.deepEqual(await heartbeat(q, first.id, 'someone-else', 10_000), { cancel: false, lost: true });
        await finish(q, first, first.lease_owner!, { ok: true });
        const row = await s.db.selectFrom('jobs').selectAll().where('id', '=', a.id).executeTakeFirstOrThrow();
        assert.equal(row.status, 'succeeded');
      } finally { await s.close(); }
    });

    test('queue: jobs enqueued together are claimed in the order they were enqueued', { skip }, async () => {
      const s = await freshStore(dialect);
      const q = { db: s.db, dialect: s.dialect };
      try {
        for (let i = 0; i < 20; i++) await enqueue(q, 'fifo', { i });
        const order: number[] = [];
        for (let i = 0; i < 20; i++) order.push((JSON.parse((await claim(q, ['fifo'], 'o', 10_000))!.payload) as { i: number }).i);
        assert.deepEqual(order, Array.from({ length: 20 }, (_, i) => i));
      } finally { await s.close(); }
    });

    test('queue: retry with back-off when attempts remain; failed with last_error when not', { skip }, async () => {
      const s = await freshStore(dialect);
      const q = { db: s.db, dialect: s.dialect };
      try {
        const j = await enqueue(q, 'r', {}, { maxAttempts: 2 });
        const c = (await claim(q, ['r'], 'o', 10_000))!;
        await finish(q, c, 'o', { ok: false, error: 'boom', retry: true });
        let row = await s.db.selectFrom('jobs').selectAll().where('id', '=', j.id).executeTakeFirstOrThrow();
        assert.equal(row.status, 'queued');
        assert.ok(row.run_after > new Date().toISOString(), 'back-off delays the retry');
        assert.equal(await claim(q, ['r'], 'o', 10_000), undefined, 'not runnable during back-off');
        await s.db.updateTable('jobs').set({ run_after: new Date(0).toISOString() }).execute();
        const c2 = (await claim(q, ['r'], 'o', 10_000))!;
        await finish(q, c2, 'o', { ok: false, error: 'boom again', retry: true });
        row = await s.db.selectFrom('jobs').selectAll().where('id', '=', j.id).executeTakeFirstOrThrow();
        assert.equal(row.status, 'failed');
        assert.equal(row.last_error, 'boom again');
      } finally { await s.close(); }
    });

    test('queue: cancel a queued job at once, signal a running one; expired leases are taken over once', { skip }, async () => {
      const s = await freshStore(dialect);
      const q = { db: s.db, dialect: s.dialect };
      try {
        await enqueue(q, 'c', {}, { key: 'queued' });
        assert.equal(await requestCancel(q, 'queued'), 'cancelled');
        assert.equal(await claim(q, ['c'], 'o', 10_000), undefined);
        await enqueue(q, 'c', {}, { key: 'running' });
        const r = (await claim(q, ['c'], 'o', 10_000))!;
        assert.equal(await requestCancel(q, 'running'), 'signalled');
        assert.deepEqual(await heartbeat(q, r.id, 'o', 10_000), { cancel: true, lost: false });

        await enqueue(q, 'e', {}, { key: 'expiring' });
        const e = (await claim(q, ['e'], 'dead-runner/1', 1))!;
        await new Promise((res) => setTimeout(res, 20));
        const [t1, t2] = await Promise.all([takeExpired(q, 'rec-a', 10_000), takeExpired(q, 'rec-b', 10_000)]);
        const taken = [...t1, ...t2].filter((j) => j.id === e.id);
        assert.equal(taken.length, 1, 'exactly one recoverer takes the job');
        await enqueue(q, 'e', {}, { key: 'held' });
        const h = (await claim(q, ['e'], 'me/old', 60_000))!;
        assert.deepEqual((await takeExpired(q, 'me/new', 10_000)).map((j) => j.id), [], 'an unexpired lease of another runner is left alone');
        assert.deepEqual((await takeExpired(q, 'me/new', 10_000, { heldByPrefix: 'me/' })).map((j) => j.id), [h.id], 'a lease of an earlier instance of this runner is lost at once');
      } finally { await s.close(); }
    });
  });
}
