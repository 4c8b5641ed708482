// bench/shared-log: what sharing apps' logs and outputs through Postgres costs (replicas, src/logs/shared-log.ts)
// against the embedded default (a file per stream). Two replicas' LogBooks on one real Postgres:
// (1) router lines in batches of 500 written at A, and dyno lines one at a time: lines per second
// and the CPU per 1,000 lines (both replicas are this one process), against the same writes to a
// LogBook alone (the embedded default).
import pg from 'pg';
import { openStore, type Store } from '../src/store/db.js';
import { LogBook } from '../src/logs/log-book.js';
import { APP_LOG_LINES, SharedLog } from '../src/logs/shared-log.js';
import { appendAppLog, appendAppLogLines, appLogKey, isAppLogKey } from '../src/releases/app-log.js';
import { startPostgres } from '../test/helpers/postgres.js';
import { tempDir } from '../test/helpers/temp.js';

const LINES = Number(process.env["BENCH_LOG_LINES"] ?? 50_000);
const AIM_LINES_PER_S = 10_000; // a busy app's router lines, with room
const quiet = { info: () => {}, warn: () => {}, error: (m: string) => console.error(m) };
const line = (i: number) => `at=info method=GET path="/items/${i}" host=app.example.com request_id=${i.toString(16).padStart(12, '0')} fwd="10.0.0.1" dyno=web.1 connect=0ms service=3ms status=200 bytes=512 protocol=http`;

const cluster = await startPostgres();
process.once('SIGTERM', () => { cluster.stop(); process.exit(143); }); // `timeout` leaves no Postgres behind
const admin = new pg.Client({ connectionString: cluster.url });
await admin.connect();
await admin.query('CREATE DATABASE benchlogs');
await admin.end();
const url = cluster.url.replace(/\/postgres$/, '/benchlogs');
const stores: Store[] = [];
const shares: SharedLog[] = [];

async function replica(name: string): Promise<{ logs: LogBook; shared: SharedLog }> {
  const store = await openStore({ databaseUrl: url, dataDir: tempDir('slipway-bench-logs-') });
  const logs = new LogBook(tempDir('slipway-bench-logs-files-'));
  const shared = new SharedLog({ db: store.db, databaseUrl: url, origin: name, logs, log: quiet, linesKept: (k) => (isAppLogKey(k) ? APP_LOG_LINES : undefined) });
  logs.shareWith(shared);
  await shared.start();
  stores.push(store);
  shares.push(shared);
  return { logs, shared };
}

/** Write LINES lines (in batches of `batch`) to app `appId`, wait until `settled`; lines/s and writer CPU ms per 1,000 lines. */
async function writeCost(logs: LogBook, appId: string, batch: number, settled: () => Promise<void>): Promise<{ perS: number; cpuPer1k: number }> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < LINES; i += batch) {
    if (batch === 1) appendAppLog(logs, appId, 'app[web.1]', line(i));
    else appendAppLogLines(logs, appId, 'heroku[router]', Array.from({ length: batch }, (_, j) => line(i + j)));
    if (i % 5000 < batch) await new Promise((r) => setImmediate(r)); // requests arrive over time: the flusher runs between them
  }
  await settled();
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  return { perS: LINES / (ms / 1000), cpuPer1k: (cpu.user + cpu.system) / 1000 / (LINES / 1000) };
}

try {
const a = await replica('bench-a');
const b = await replica('bench-b');
const alone = new LogBook(tempDir('slipway-bench-logs-alone-'));
console.log('## bench/shared-log\n');
console.log('| writes | embedded (a file) | replicas (Postgres, B following) |');
console.log('| --- | --- | --- |');
for (const [what, batch] of [['router lines, batches of 500', 500], ['dyno lines, one at a time', 1]] as const) {
  const solo = await writeCost(alone, `solo${batch}`, batch, async () => {});
  const key = appLogKey(`app${batch}`);
  let seen = 0;
  const ac = new AbortController();
  b.logs.ensureOpen(key);
  const last = `path="/items/${LINES - 1}"`;
  const following = (async () => { for await (const c of b.logs.follow(key, 0, ac.signal)) { const t = c.toString(); seen += t.split('\n').length - 1; if (t.includes(last)) ac.abort(); } })();
  // Done when B has the last line (a follower more than LAG_LINES behind skips to the store's newest lines: counted).
  const shared = await writeCost(a.logs, `app${batch}`, batch, async () => { await a.logs.settled(key); await b.logs.settled(key); await following; });
  console.log(`| ${what} | ${Math.round(solo.perS).toLocaleString('en')} lines/s, ${solo.cpuPer1k.toFixed(1)} ms CPU per 1,000 | ${Math.round(shared.perS).toLocaleString('en')} lines/s, ${shared.cpuPer1k.toFixed(1)} ms CPU per 1,000 (both replicas: one process here; B got ${seen.toLocaleString('en')} of ${LINES.toLocaleString('en')}) |`);
  if (shared.perS < AIM_LINES_PER_S) console.log(`(below the aim of ${AIM_LINES_PER_S} lines/s)`);
}

} finally {
  for (const s of shares) await s.stop();
  for (const s of stores) await s.close();
  cluster.stop();
}
