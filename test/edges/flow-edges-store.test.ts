// The flow's outbox in the store, on SQLite and a throwaway Postgres: a status change and the job of
// what follows it are written together or not at all, and once per change, also when nodes of one
// run end at the same moment or a settle is repeated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { openStore, type Store } from '../../src/store/db.js';
import { createPipeline } from '../../src/store/pipelines.js';
import { createTestRun, createTestNodes, applyNodeEvent } from '../../src/store/test-runs.js';
import { createApp } from '../../src/store/apps.js';
import { createBuild, finishBuild } from '../../src/store/builds.js';
import { createRelease, settleRelease } from '../../src/store/releases.js';
import { FLOW_EDGE_JOB, edgeEventKey } from '../../src/store/flow-edges.js';
import { insertAppWebhook } from '../../src/store/app-webhooks.js';
import { addPipelineEvent } from '../../src/store/pipeline-events.js';
import { APP_WEBHOOK_JOB, publishAppEvent } from '../../src/webhooks/publish.js';
import { postgresAvailable, startPostgres, freshDatabase, type PgCluster } from '../helpers/postgres.js';
import { needs } from '../helpers/tools.js';
import { tempDir } from '../helpers/temp.js';

let cluster: PgCluster | undefined;
before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(() => cluster?.stop());

const edges = async (s: Store) => (await s.db.selectFrom('jobs').select(['key', 'payload', 'status']).where('kind', '=', FLOW_EDGE_JOB).orderBy('key').execute());

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`status changes write their follow-up jobs with them, once (${dialect})`, { timeout: 60_000, skip: dialect === 'postgres' ? needs('postgres') : false }, async () => {
    const s = dialect === 'sqlite' ? await openStore({ dataDir: tempDir('slipway-edges-') })
      : await openStore({ databaseUrl: await freshDatabase(cluster!, 'edges'), dataDir: '/nonexistent' });
    try {
      const p = await createPipeline(s.db, 'outbox');
      const run = await createTestRun(s.db, { pipelineId: p.id, commitBranch: 'main', commitSha: 'abc1234', commitMessage: 'm', sourceBlobUrl: 'http://x/sources/1/blob', sourceId: null, clearCache: false, timeoutSeconds: 60, actor: null });
      const nodes = await createTestNodes(s.db, run.id, 3);
      for (const n of nodes) { await applyNodeEvent(s.db, n.id, { type: 'build' }); await applyNodeEvent(s.db, n.id, { type: 'test' }); }
      assert.deepEqual((await edges(s)).map((r) => r.key), [`edge:test-run-started:${run.id}`], 'its start (the pending status) is written with the run; nothing follows a run still running');
      const ends = await Promise.all(nodes.map((n) => applyNodeEvent(s.db, n.id, { type: 'finish', outcome: 'succeeded' })));
      assert.equal(ends.filter((e) => e === 'run-ended').length, 1, 'one of the changes ended the run');

      const app = await createApp(s.db, 'outbox-app');
      const build = await createBuild(s.db, app.id, 'http://x/sources/2/blob', 'abc1234');
      assert.equal(await finishBuild(s.db, build.id, { status: 'failed', message: 'no' }), true);
      assert.equal(await finishBuild(s.db, build.id, { status: 'failed', message: 'again' }), false, 'a build ends once');
      const v = await createRelease(s.db, { appId: app.id, slugId: null, config: { SECRET: 'never-queued' }, description: 'v' });
      await settleRelease(s.db, v.id, { type: 'no-release-phase' });
      await assert.rejects(settleRelease(s.db, v.id, { type: 'release-phase-failed' }), 'a settled release cannot change');

      const rows = await edges(s);
      assert.deepEqual(rows.map((r) => r.key), [`edge:build-ended:${build.id}`, `edge:release-settled:${v.id}`, `edge:test-run-ended:${run.id}`, `edge:test-run-started:${run.id}`]);
      assert.deepEqual(rows.map((r) => JSON.parse(r.payload) as unknown), [{ edge: 'build-ended', id: build.id }, { edge: 'release-settled', id: v.id }, { edge: 'test-run-ended', id: run.id }, { edge: 'test-run-started', id: run.id }], 'only ids are queued');
      assert.ok(rows.every((r) => r.status === 'queued'));
    } finally {
      await s.close();
    }
  });
}

for (const dialect of ['sqlite', 'postgres'] as const) {
  test(`what a follow-up publishes is written once per edge and event, however often it runs; a release settled by two at once is settled by one (${dialect})`, { timeout: 60_000, skip: dialect === 'postgres' ? needs('postgres') : false }, async () => {
    const s = dialect === 'sqlite' ? await openStore({ dataDir: tempDir('slipway-edges-') })
      : await openStore({ databaseUrl: await freshDatabase(cluster!, 'edgekeys'), dataDir: '/nonexistent' });
    try {
      const ctx = { store: s, queue: { db: s.db, dialect: s.dialect } };
      const app = await createApp(s.db, 'keyed-app');
      for (const level of ['notify', 'sync']) await insertAppWebhook(s.db, { app_id: app.id, url: `http://127.0.0.1:9/${level}`, include: JSON.stringify(['api:release']), level, secret: 's', authorization: null });
      const event = { appId: app.id, include: 'api:release' as const, resource: 'release', action: 'update' as const, data: {}, key: edgeEventKey('release-settled', 'r1', 'api:release') };
      assert.equal(await publishAppEvent(ctx, event), 2, 'one delivery per webhook');
      assert.equal(await publishAppEvent(ctx, event), 0, 'the follow-up run again queues nothing');
      assert.equal(await publishAppEvent(ctx, { ...event, key: undefined }), 2, 'an event without a key (an API route\'s) is always queued');
      const deliveries = await s.db.selectFrom('app_webhook_deliveries').select('id').execute();
      const jobs = await s.db.selectFrom('jobs').select('key').where('kind', '=', APP_WEBHOOK_JOB).execute();
      assert.equal(deliveries.length, 4);
      assert.deepEqual(jobs.map((j) => j.key).sort(), deliveries.map((d) => `app-webhook:${d.id}`).sort(), 'each delivery has its job');

      const p = await createPipeline(s.db, 'keyed');
      for (let i = 0; i < 2; i++) await addPipelineEvent(s.db, p.id, 'promotion-skipped', 'no qa app', edgeEventKey('release-settled', 'r1', 'promotion-skipped'));
      await addPipelineEvent(s.db, p.id, 'deploy', 'a');
      await addPipelineEvent(s.db, p.id, 'deploy', 'b');
      assert.deepEqual((await s.db.selectFrom('pipeline_events').select('kind').where('pipeline_id', '=', p.id).orderBy('kind').execute()).map((e) => e.kind), ['deploy', 'deploy', 'promotion-skipped']);

      // Two recoverers fail one lost release at once: one of them settles it (the other is told, or refused).
      const v = await createRelease(s.db, { appId: app.id, slugId: null, config: {}, description: 'v' });
      const both = await Promise.allSettled([0, 1].map(() => settleRelease(s.db, v.id, { type: 'release-phase-failed' }, 'lost')));
      assert.equal(both.filter((r) => r.status === 'fulfilled' && r.value.settled).length, 1);
      for (const r of both) if (r.status === 'fulfilled' && !r.value.settled) assert.equal(r.value.status, 'failed', 'told what the other made of it');
    } finally {
      await s.close();
    }
  });
}

test('a follow-up that cannot be written undoes the status change (SQLite, the jobs insert refused by a trigger)', { timeout: 30_000 }, async () => {
  const s = await openStore({ dataDir: tempDir('slipway-edges-') });
  try {
    const app = await createApp(s.db, 'outbox-atomic');
    const build = await createBuild(s.db, app.id, 'http://x/sources/3/blob', 'abc1234');
    const v = await createRelease(s.db, { appId: app.id, slugId: null, config: {}, description: 'v' });
    await sql`CREATE TRIGGER edges_no_outbox BEFORE INSERT ON jobs WHEN NEW.kind = 'flow-edge' BEGIN SELECT RAISE(ABORT, 'the outbox is full'); END`.execute(s.db);
    await assert.rejects(finishBuild(s.db, build.id, { status: 'succeeded' }), /the outbox is full/);
    await assert.rejects(settleRelease(s.db, v.id, { type: 'no-release-phase' }), /the outbox is full/);
    assert.equal((await s.db.selectFrom('builds').select('status').where('id', '=', build.id).executeTakeFirstOrThrow()).status, 'pending', 'the build did not end without its follow-up');
    const r = await s.db.selectFrom('releases').select(['status', 'current']).where('id', '=', v.id).executeTakeFirstOrThrow();
    assert.deepEqual([r.status, Number(r.current)], ['pending', 0], 'the release did not settle without its follow-up');
  } finally {
    await s.close();
  }
});
