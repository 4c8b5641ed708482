// What lists read for all their rows at once (src/store/list-facts.ts), against both real databases:
// each app's current and newest release with its slug, owners by id, each pipeline's newest run;
// lists longer than one IN (…) chunk; apps or pipelines without any.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../src/store/db.js';
import { createApp } from '../src/store/apps.js';
import { createRelease, settleRelease } from '../src/store/releases.js';
import { createSlug } from '../src/store/builds.js';
import { createTeam } from '../src/store/teams.js';
import { createUser } from '../src/store/users.js';
import { createPipeline } from '../src/store/pipelines.js';
import { createTestRun } from '../src/store/test-runs.js';
import { currentReleasesOf, latestReleasesOf, ownersOf, latestTestRunsOf } from '../src/store/list-facts.js';
import { postgresAvailable, startPostgres, freshDatabase, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let cluster: PgCluster | undefined;

async function freshStore(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  if (dialect === 'sqlite') return openStore({ dataDir: tempDir('slipway-list-facts-') });
  return openStore({ databaseUrl: await freshDatabase(cluster!, 'listfacts'), dataDir: '/nonexistent' });
}

const slugOf = (appId: string, commit: string, size: number) => ({ app_id: appId, process_types: '{}', commit, commit_description: null, buildpacks: '[]', size, checksum: 'x', stack: 'heroku-24' });
const newRun = (pipelineId: string) => ({ pipelineId, commitBranch: 'main', commitSha: 'abc1234', commitMessage: 'm', sourceBlobUrl: 'http://x/sources/1/blob', sourceId: null, clearCache: false, timeoutSeconds: 60, actor: 'admin' });

before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(() => cluster?.stop());

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`list facts on ${dialect}`, () => {
    const skip = dialect === 'postgres' ? needs('postgres') : false;

    test('current and newest releases with their slugs, for every app at once', { skip, timeout: 120_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        // One app with a current v1, a newer failed v2 and a pending v3; one with a release without a slug; one with none.
        const a = await createApp(s.db, 'listed-a');
        const slug = await createSlug(s.db, slugOf(a.id, 'c0ffee1', 4096));
        const v1 = await createRelease(s.db, { appId: a.id, slugId: slug.id, config: {}, description: 'v1' });
        await settleRelease(s.db, v1.id, { type: 'no-release-phase' }, null, false);
        const v2 = await createRelease(s.db, { appId: a.id, slugId: slug.id, config: {}, description: 'v2' });
        await settleRelease(s.db, v2.id, { type: 'release-phase-failed' }, 'boom', false);
        const v3 = await createRelease(s.db, { appId: a.id, slugId: slug.id, config: {}, description: 'v3' });
        const b = await createApp(s.db, 'listed-b');
        const bv1 = await createRelease(s.db, { appId: b.id, slugId: null, config: {}, description: 'config only' });
        await settleRelease(s.db, bv1.id, { type: 'no-release-phase' }, null, false);
        const c = await createApp(s.db, 'listed-c');

        const current = await currentReleasesOf(s.db, [a.id, b.id, c.id]);
        assert.deepEqual([...current.keys()].sort(), [a.id, b.id].sort());
        assert.equal(current.get(a.id)!.version, 1);
        assert.equal(current.get(a.id)!.slug_size, 4096);
        assert.equal(current.get(a.id)!.slug_commit, 'c0ffee1');
        assert.equal(current.get(b.id)!.slug_size, null);
        assert.equal('config' in current.get(a.id)!, false, 'config vars are not read (nor decrypted) for a list');
        assert.equal(current.get(b.id)!.slug_commit, null);
        const latest = await latestReleasesOf(s.db, [a.id, b.id, c.id]);
        assert.equal(latest.get(a.id)!.id, v3.id);
        assert.equal(latest.get(a.id)!.status, 'pending');
        assert.equal(latest.get(b.id)!.id, bv1.id);
        assert.equal(latest.has(c.id), false);
        assert.equal((await currentReleasesOf(s.db, [])).size, 0);
      } finally { await s.close(); }
    });

    test('more apps than one IN (…) chunk: every one read, none twice', { skip, timeout: 120_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const ids: string[] = [];
        for (let i = 0; i < 520; i++) {
          const app = await createApp(s.db, `many-${i}`);
          const r = await createRelease(s.db, { appId: app.id, slugId: null, config: {}, description: `r${i}` });
          await settleRelease(s.db, r.id, { type: 'no-release-phase' }, null, false);
          ids.push(app.id);
        }
        const current = await currentReleasesOf(s.db, [...ids, ids[0]!]);
        assert.equal(current.size, 520);
        assert.ok(ids.every((id, i) => current.get(id)?.description === `r${i}`));
        assert.equal((await latestReleasesOf(s.db, ids)).size, 520);
      } finally { await s.close(); }
    });

    test('owners by id, and each pipeline\'s newest test run', { skip, timeout: 120_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const team = await createTeam(s.db, 'listers');
        const user = (await createUser(s.db, 'lister@example.com', null, false))!;
        const { teams, users } = await ownersOf(s.db, [team.id, team.id], [user.id, 'not-a-user']);
        assert.deepEqual(teams.get(team.id), { id: team.id, name: 'listers' });
        assert.deepEqual(users.get(user.id), { id: user.id, email: 'lister@example.com' });
        assert.equal(users.size, 1);

        const p = await createPipeline(s.db, 'busy');
        const q = await createPipeline(s.db, 'quiet');
        const r = await createPipeline(s.db, 'other');
        for (let i = 0; i < 5; i++) await createTestRun(s.db, newRun(p.id));
        const only = await createTestRun(s.db, newRun(r.id));
        const runs = await latestTestRunsOf(s.db, [p.id, q.id, r.id]);
        assert.equal(runs.get(p.id)!.number, 5);
        assert.equal(runs.has(q.id), false);
        assert.equal(runs.get(r.id)!.id, only.id);
      } finally { await s.close(); }
    });
  });
}
