// An app's metrics against both real databases: the recorder's minutes add up across flushes (and
// across replicas writing the same minute), memory keeps the largest maximum, CPU is the growth
// between reports, and retention drops old minutes and those of destroyed apps.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { openStore, type Store } from '../src/store/db.js';
import { createApp } from '../src/store/apps.js';
import { MetricsRecorder, minuteOf, RETENTION_MINUTES } from '../src/metrics/recorder.js';
import { appMetrics } from '../src/metrics/app-metrics.js';
import { metricsBetween } from '../src/store/metrics.js';
import { accessLine, errorLine } from '../src/runtime/router-log.js';
import type { ObservedDyno } from '../src/runtime/desired-state.js';
import { postgresAvailable, startPostgres, freshDatabase, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { tempDir } from './helpers/temp.js';

let cluster: PgCluster | undefined;

async function freshStore(dialect: 'sqlite' | 'postgres'): Promise<Store> {
  if (dialect === 'sqlite') return openStore({ dataDir: tempDir('slipway-metrics-store-') });
  return openStore({ databaseUrl: await freshDatabase(cluster!, 'metrics'), dataDir: '/nonexistent' });
}

before(async () => { if (postgresAvailable()) cluster = await startPostgres(); });
after(() => cluster?.stop());

const line = (status: number, serviceMs: number) => accessLine({ method: 'GET', path: '/', host: 'a', requestId: 'r', fwd: '1.1.1.1', dyno: 'web.1', connectMs: 0, serviceMs, status, bytes: 1, protocol: 'http' });
const dyno = (id: string, memoryMb: number, cpuMs: number): ObservedDyno => ({ id, appId: '', releaseId: 'r', type: 'web', name: 'web.1', state: 'up', host: '127.0.0.1', port: 1, restarts: 0, changedAt: '', memoryMb, cpuMs });

for (const dialect of ['sqlite', 'postgres'] as const) {
  describe(`metrics on ${dialect}`, () => {
    const skip = dialect === 'postgres' ? needs('postgres') : false;

    test('two recorders (replicas) and two flushes add up; percentiles, memory, CPU, events', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const app = await createApp(s.db, 'measured');
        let now = Date.parse('2026-11-29T12:00:30Z');
        const clock = () => now;
        const a = new MetricsRecorder({ db: s.db, flushMs: 60_000, log: assert.fail, now: clock });
        const b = new MetricsRecorder({ db: s.db, flushMs: 60_000, log: assert.fail, now: clock });
        for (let i = 0; i < 8; i++) a.line(app.id, 'heroku[router]', line(200, 3));
        a.line(app.id, 'heroku[router]', line(404, 3));
        await a.flush();
        b.line(app.id, 'heroku[router]', line(200, 150));
        b.line(app.id, 'heroku[router]', errorLine({ code: 'H12', desc: 'Request timeout', method: 'GET', path: '/', host: 'a', status: 503, serviceMs: 30_000 }));
        b.line(app.id, 'app[web.1]', 'Error R14 (Memory quota exceeded)');
        b.line(app.id, 'heroku[web.1]', 'Error R14 (Memory quota exceeded)');
        b.restart(app.id);
        a.observed([{ ...dyno('d1', 100, 1000), appId: app.id }]);
        now += 10_000;
        a.observed([{ ...dyno('d1', 140, 31_000), appId: app.id }]);
        await Promise.all([a.flush(), b.flush()]);
        const m = await appMetrics(s.db, app.id, '1h', now);
        const p = m.points.at(-1)!;
        assert.deepEqual(p.requests, { '2xx': 9, '3xx': 0, '4xx': 1, '5xx': 1 });
        assert.ok(p.p50! > 2 && p.p50! <= 5, `p50 ${p.p50}`);
        assert.ok(p.p99! > 10_000, `p99 ${p.p99}`);
        assert.deepEqual(p.memory['web.1'], { max: 140, mean: 120 });
        assert.equal(p.cpu['web.1'], 0.5, '30 s of CPU in one minute');
        assert.deepEqual(p.events, { H12: 1, R14: 1, restart: 1 }, "the app's own output does not count as an R14");
        // Summed by the database per step: a day by 10 minutes and a week by the hour say the same.
        for (const range of ['24h', '7d'] as const) {
          const day = (await appMetrics(s.db, app.id, range, now)).points.filter((x) => x.requests['2xx']);
          assert.equal(day.length, 1, range);
          assert.deepEqual([day[0]!.requests, day[0]!.memory['web.1'], day[0]!.events], [p.requests, p.memory['web.1'], p.events], range);
          assert.equal(day[0]!.p50, p.p50, range);
        }
      } finally { await s.close(); }
    });

    test('retention drops minutes older than 7 days and those of destroyed apps', { skip, timeout: 60_000 }, async () => {
      const s = await freshStore(dialect);
      try {
        const kept = await createApp(s.db, 'kept');
        const gone = await createApp(s.db, 'gone');
        const now = Date.parse('2026-11-29T12:00:00Z');
        const old = new MetricsRecorder({ db: s.db, flushMs: 60_000, log: assert.fail, now: () => now - (RETENTION_MINUTES + 5) * 60_000 });
        const fresh = new MetricsRecorder({ db: s.db, flushMs: 60_000, log: assert.fail, now: () => now });
        for (const r of [old, fresh]) { r.line(kept.id, 'heroku[router]', line(200, 1)); r.line(gone.id, 'heroku[router]', line(200, 1)); await r.flush(); }
        await s.db.deleteFrom('apps').where('id', '=', gone.id).execute();
        assert.equal(await fresh.purge(), 3);
        const left = await metricsBetween(s.db, kept.id, 0, minuteOf(now) + 1);
        assert.deepEqual(left.router.map((r) => r.minute), [minuteOf(now)]);
      } finally { await s.close(); }
    });
  });
}
