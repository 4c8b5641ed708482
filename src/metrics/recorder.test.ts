// The recorder counts a router line in the minute it was served (its own time), not the minute it arrived.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../store/db.js';
import { MetricsRecorder, RETENTION_MINUTES, minuteOf } from './recorder.js';

const line = (status: number) => `at=info method=GET path="/" host=a.localhost request_id=r fwd="127.0.0.1" dyno=web.1 connect=0ms service=3ms status=${status} bytes=2 protocol=http`;

test('a late router line counts in its own minute; one without a usable time (none, ahead, past the retention) in the current one', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-metrics-'));
  const store = await openStore({ dataDir: dir });
  try {
    const now = Date.parse('2026-11-30T12:30:20Z');
    const rec = new MetricsRecorder({ db: store.db, flushMs: 60_000, log: (l) => assert.fail(l), now: () => now });
    const iso = (ms: number) => new Date(ms).toISOString();
    rec.line('app-1', 'heroku[router]', line(200), iso(now - 5 * 60_000)); // served while the server was away, 5 minutes ago
    rec.line('app-1', 'heroku[router]', line(500), iso(now - 5 * 60_000 + 1000));
    rec.line('app-1', 'heroku[router]', line(200));
    rec.line('app-1', 'heroku[router]', line(200), iso(now + 10 * 60_000)); // ahead of the clock: now
    rec.line('app-1', 'heroku[router]', line(404), iso(now - (RETENTION_MINUTES + 5) * 60_000)); // older than kept: now
    rec.line('app-1', 'heroku[router]', line(200), 'not a time');
    await rec.close();
    const rows = await store.db.selectFrom('router_metrics').select(['minute', 's2', 's4', 's5']).where('app_id', '=', 'app-1').orderBy('minute').execute();
    assert.deepEqual(rows.map((r) => ({ ...r })), [
      { minute: minuteOf(now) - 5, s2: 1, s4: 0, s5: 1 },
      { minute: minuteOf(now), s2: 3, s4: 1, s5: 0 },
    ]);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('lines of one app and minute on both sides of a flush are all counted, by app', { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-metrics-'));
  const store = await openStore({ dataDir: dir });
  try {
    const now = Date.parse('2026-11-30T12:30:20Z');
    const rec = new MetricsRecorder({ db: store.db, flushMs: 60_000, log: (l) => assert.fail(l), now: () => now });
    rec.line('app-1', 'heroku[router]', line(200));
    rec.line('app-2', 'heroku[router]', line(500));
    rec.line('app-1', 'heroku[router]', line(200));
    await rec.flush();
    rec.line('app-1', 'heroku[router]', line(404));
    rec.line('app-1', 'heroku[router]', line(200));
    await rec.close();
    const rows = await store.db.selectFrom('router_metrics').select(['app_id', 's2', 's4', 's5']).where('minute', '=', minuteOf(now)).orderBy('app_id').execute();
    assert.deepEqual(rows.map((r) => ({ ...r })), [{ app_id: 'app-1', s2: 3, s4: 1, s5: 0 }, { app_id: 'app-2', s2: 0, s4: 0, s5: 1 }]);
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
