// Two `slipway server` replicas on one Postgres (each its own port and data folder), blobs in
// Postgres: work started through either is done by whichever claims it; an app's log and a live
// output written through one are read, identically and live, through the other, and a drain gets
// each line once; one replica SIGKILLed mid-way, the other keeps answering, takes over as leader,
// recovers the dead one's jobs, and no job ran twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import { createHash } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { startServer, cli, api, TOKEN, TEST_SECRET_KEY, type TestServer } from './helpers/server.js';
import { Keyring, parseKey } from '../src/core/secret-box.js';
import { repoWithBuildpack, commitAll } from './helpers/apps.js';
import { nodesOf, waitFor, waitForStatus, type RunJson } from './helpers/runs.js';
import { leftoverProcesses } from './helpers/processes.js';
import { startPostgres, type PgCluster } from './helpers/postgres.js';
import { needs } from './helpers/tools.js';
import { TEST_NODE_JOB } from '../src/ci/test-node-job.js';
import { BUILD_JOB, RELEASE_JOB } from '../src/releases/jobs.js';
import { LOGS_PATH } from '../src/router/router-wire.js';

const skip = needs('postgres');
let cluster: PgCluster;
let db: pg.Client;
let a: TestServer;
let b: TestServer;
const nodeIds: string[] = [];
const env = () => ({ DATABASE_URL: cluster.url, SLIPWAY_JOB_LEASE_SECONDS: '3', SLIPWAY_RUNNER_CONCURRENCY: '2' });
const replicaOf = (s: TestServer) => `embedded-${createHash('sha256').update(os.hostname() + s.dataDir).digest('hex').slice(0, 10)}`;
/** The jobs of the CI runs of the kill test (this file's other runs are left out). */
const killTestNodeKeys: string[] = [];
const health = async (s: TestServer) => (await (await fetch(`${s.url}/health`)).json()) as { leader: boolean };

before(async () => {
  if (skip) return;
  cluster = await startPostgres();
  a = await startServer(env());
  b = await startServer(env()); // after A: A leads
  db = new pg.Client({ connectionString: cluster.url });
  await db.connect();
});

after(async () => {
  if (skip) return;
  await b?.stop();
  // The killed replica's workspace filesystems, namespaces and cgroups go with one more start and stop on its data folder (unless the last test started it again).
  if (a && a.proc.exitCode === null && a.proc.signalCode === null) await a.stop();
  else if (a) { const again = await startServer(env(), a.dataDir); await again.stop(); }
  assert.deepEqual(await leftoverProcesses(nodeIds), [], 'no process of any test node is left');
  await db?.end();
  cluster?.stop();
});

test('a source uploaded through replica A is built and released by whichever replica claims it; sources and slugs live in Postgres', { skip, timeout: 180_000 }, async () => {
  assert.equal((await health(a)).leader, true);
  assert.equal((await health(b)).leader, false);
  assert.equal((await cli(a, ['apps:create', 'relapp'])).code, 0);
  const repo = repoWithBuildpack({}, 'echo compiled');
  fs.writeFileSync(path.join(repo, 'Procfile'), 'release: echo "release phase ran on slug $(ls /app 2>/dev/null | wc -l)"\nworker: sleep 1000\n');
  commitAll(repo, 'a release phase, no web dyno');
  const built = await cli(a, ['builds:create', '-a', 'relapp'], { cwd: repo });
  assert.equal(built.code, 0, built.stdout + built.stderr);
  // Read through replica B: the release ran its phase and succeeded.
  const released = await waitFor('v2 released', async () => {
    const { json } = await api<Array<{ version: number; status: string }>>(b, 'GET', '/apps/relapp/releases');
    return json.find((r) => r.version === 2 && r.status !== 'pending');
  });
  assert.equal(released.status, 'succeeded');
  const out = await cli(b, ['releases:output', '-a', 'relapp']);
  assert.match(out.stdout, /release phase ran/);
  // Once more through B: whichever replica runs the build and the release phase, the CLI on B follows both to the end.
  commitAll(repo, 'again');
  const again = await cli(b, ['builds:create', '-a', 'relapp'], { cwd: repo });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /compiled[\s\S]*release phase ran[\s\S]*Released v3 succeeded/);
  for (const s of [a, b]) assert.match((await cli(s, ['builds:output', '-a', 'relapp'])).stdout, /compiled/, 'build output from either replica');
  const blobs = (await db.query<{ key: string }>('SELECT key FROM blobs ORDER BY key')).rows.map((r) => r.key);
  assert.ok(blobs.some((k) => k.startsWith('sources/')), 'the source is in Postgres');
  assert.ok(blobs.some((k) => k.startsWith('slugs/')), 'the slug is in Postgres');
  for (const s of [a, b]) {
    assert.equal(fs.existsSync(path.join(s.dataDir, 'sources')), false, 'no source in a replica\'s data folder');
    assert.equal(fs.existsSync(path.join(s.dataDir, 'slugs')), false, 'no slug in a replica\'s data folder');
  }
  const jobs = (await db.query<{ kind: string; attempts: number; status: string }>('SELECT kind, attempts, status FROM jobs WHERE kind = ANY($1)', [[BUILD_JOB, RELEASE_JOB]])).rows;
  assert.deepEqual(jobs.map((j) => [j.kind, Number(j.attempts), j.status]).sort(), [[BUILD_JOB, 1, 'succeeded'], [BUILD_JOB, 1, 'succeeded'], [RELEASE_JOB, 1, 'succeeded'], [RELEASE_JOB, 1, 'succeeded']]);
});

/** GET a stream and read it until `re` matches what came (or it ends, or 30 s pass: a stream that does not answer fails the check, not the test's time): what came. */
async function readUntil(url: string, re: RegExp, headers: Record<string, string> = {}, onText?: (text: string) => void): Promise<string> {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(), 30_000);
  let text = '';
  try {
    const res = await fetch(url, { headers, signal: ac.signal });
    const reader = res.body!.getReader();
    while (!re.test(text)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString();
      onText?.(text);
    }
  } catch { /* aborted: what came is the answer */ } finally { clearTimeout(timer); ac.abort(); }
  return text;
}

test('an app\'s log written through either replica (router lines, a dyno\'s output) is listed identically by both and followed live on the other; a drain gets each line once', { skip, timeout: 120_000 }, async () => {
  const { json: app } = await api<{ id: string }>(a, 'GET', '/apps/relapp');
  const drained: string[] = [];
  const drain = http.createServer((req, res) => { let body = ''; req.on('data', (c) => { body += c; }); req.on('end', () => { drained.push(body); res.end(); }); });
  await new Promise<void>((r) => drain.listen(0, '127.0.0.1', () => r()));
  try {
    assert.equal((await api(a, 'POST', '/apps/relapp/log-drains', { url: `http://127.0.0.1:${(drain.address() as { port: number }).port}/drain` })).status, 201);
    // Router lines as a router process sends them, to A or to B (a router follows whichever answers).
    const routerToken = /(slpr_[\w-]+)/.exec((await cli(a, ['routers:create', 'edge-logs'])).stdout)?.[1] ?? '';
    const routerLine = async (s: TestServer, p: string) => {
      const res = await fetch(s.url + LOGS_PATH, { method: 'POST', headers: { authorization: `Bearer ${routerToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ lines: [{ app_id: app.id, line: `at=info method=GET path="${p}" status=200` }], dropped: 0 }) });
      assert.equal(res.status, 204, await res.text());
    };
    // `logs --tail` on B, from before the line is written at A.
    const { json: session } = await api<{ logplex_url: string }>(b, 'POST', '/apps/relapp/log-sessions', { tail: true, lines: 1 });
    // (Each check is recorded, so one run says which of them fail.)
    const problems: string[] = [];
    let following!: () => void;
    const opened = new Promise<void>((r) => { following = r; });
    const tail = readUntil(session.logplex_url, /written-at-a/, {}, (text) => { if (/tail-follows/.test(text)) following(); });
    // A line written at B itself shows the tail follows (live) before A writes.
    await waitFor('B\'s tail to follow', async () => { await routerLine(b, '/tail-follows'); return Promise.race([opened.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 2000))]); }, 30_000);
    await routerLine(a, '/written-at-a');
    if (!/heroku\[router\]: at=info method=GET path="\/written-at-a"/.test(await tail)) problems.push('B\'s tail did not get the line A wrote');
    // A one-off dyno's output reaches the app's log from its agent, through the replica that agent speaks to.
    const run = await cli(a, ['run', '-a', 'relapp', '--detached', '--', 'echo dyno-output-marker']);
    assert.equal(run.code, 0, run.stderr);
    await routerLine(b, '/written-at-b');
    // Compared once the one-off has ended (its last line is in both lists): until then a line can land between the two reads.
    const ended = /heroku\[run\.1\]: State changed from up to complete/;
    const listed = await waitFor('both replicas to list the dyno\'s output to its end', async () => {
      const [la, lb] = [await cli(a, ['logs', '-a', 'relapp', '-n', '1500']), await cli(b, ['logs', '-a', 'relapp', '-n', '1500'])];
      return ended.test(la.stdout) && ended.test(lb.stdout) ? { a: la.stdout, b: lb.stdout } : undefined;
    }, 30_000);
    if (listed.b !== listed.a) problems.push(`B lists otherwise than A:\n--- A\n${listed.a}--- B\n${listed.b}`);
    else if (!/written-at-a[\s\S]*written-at-b[\s\S]*/.test(listed.a) || !/dyno-output-marker/.test(listed.a)) problems.push(`lines missing:\n${listed.a}`);
    // The drain runs on one replica (the leader): every line once, wherever it was written.
    await routerLine(b, '/last-at-b');
    await routerLine(a, '/last-at-a');
    const all = await waitFor('the drain to get the lines', async () => { const t = drained.join(''); return /last-at-b/.test(t) && /last-at-a/.test(t) ? t : undefined; }, 30_000).catch(() => drained.join(''));
    for (const p of ['/written-at-a', '/written-at-b', '/last-at-b', '/last-at-a']) {
      const n = all.split(`path="${p}"`).length - 1;
      if (n !== 1) problems.push(`the drain got ${p} ${n} times`);
    }
    assert.deepEqual(problems, []);
  } finally {
    await new Promise((r) => drain.close(r));
  }
});

test('a follow-up run again after one of its handlers failed (the database refused a pipeline event) delivers its app webhook event once', { skip, timeout: 120_000 }, async () => {
  const got: Array<{ resource: string; data: { id: string } }> = [];
  const receiver = http.createServer((req, res) => { let body = ''; req.on('data', (c) => { body += c; }); req.on('end', () => { got.push(JSON.parse(body) as typeof got[number]); res.end(); }); });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
  try {
    for (const args of [['pipelines:create', 'hookpipe'], ['apps:create', 'hookapp'], ['pipelines:add', 'hookpipe', '-a', 'hookapp', '--stage', 'development'], ['pipelines:update', '-p', 'hookpipe', '--auto-promote', 'on']]) {
      const r = await cli(a, args);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    const url = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/hook`;
    assert.equal((await api(a, 'POST', '/apps/hookapp/webhooks', { include: ['api:release', 'api:build'], level: 'notify', url })).status, 201);
    const { json: pipeline } = await api<{ id: string }>(a, 'GET', '/pipelines/hookpipe');
    // Auto-promote is on and there is no qa app: the release's follow-up writes a "promotion skipped" event
    // to the pipeline, which the database refuses once (a check constraint): that handler throws, the webhook
    // handler of the same follow-up has published the release, and the follow-up runs again.
    await db.query(`ALTER TABLE pipeline_events ADD CONSTRAINT refuse_hookpipe CHECK (kind <> 'promotion-skipped' OR pipeline_id <> '${pipeline.id}') NOT VALID`);
    const built = await cli(b, ['builds:create', '-a', 'hookapp'], { cwd: repoWithBuildpack({}, 'echo compiled') });
    assert.equal(built.code, 0, built.stdout + built.stderr);
    const edge = await waitFor('the release\'s follow-up to fail once', async () => (await db.query<{ key: string; status: string }>(
      "SELECT key, status FROM jobs WHERE kind = 'flow-edge' AND last_error LIKE '%refuse_hookpipe%'")).rows[0], 60_000);
    await db.query('ALTER TABLE pipeline_events DROP CONSTRAINT refuse_hookpipe');
    const settled = await waitFor('the follow-up to succeed when run again', async () => (await db.query<{ status: string; attempts: number }>(
      'SELECT status, attempts FROM jobs WHERE key = $1', [edge.key])).rows.find((j) => j.status !== 'queued' && j.status !== 'running'), 60_000);
    assert.deepEqual([settled.status, Number(settled.attempts)], ['succeeded', 2]);
    // Every delivery queued has been sent (a notify webhook is sent once): what the receiver got is all it gets.
    await waitFor('the deliveries to be sent', async () => (await db.query<{ n: string }>(
      "SELECT count(*) AS n FROM app_webhook_deliveries d JOIN apps ON apps.id = d.app_id WHERE apps.name = 'hookapp' AND d.num_attempts = 0")).rows[0]!.n === '0', 30_000);
    const releaseId = edge.key.split(':').pop();
    assert.equal(got.filter((e) => e.resource === 'release' && e.data.id === releaseId).length, 1, `the release event was delivered once: ${JSON.stringify(got.map((e) => [e.resource, e.data.id]))}`);
    assert.equal(got.filter((e) => e.resource === 'build').length, 1, 'the build event was delivered once');
    assert.equal((await db.query("SELECT 1 FROM pipeline_events WHERE pipeline_id = $1 AND kind = 'promotion-skipped'", [pipeline.id])).rowCount, 1);
  } finally {
    await db.query('ALTER TABLE pipeline_events DROP CONSTRAINT IF EXISTS refuse_hookpipe');
    await new Promise((r) => receiver.close(r));
  }
});

test('a CI node\'s output, written by the replica that runs it, is followed live on the other replica (before the node ends)', { skip, timeout: 120_000 }, async () => {
  assert.equal((await cli(a, ['pipelines:create', 'livepipe'])).code, 0);
  const repo = repoWithBuildpack({ environments: { test: { scripts: { test: 'echo "live-marker from the node"; sleep 300' } } } }, 'echo compiled');
  assert.equal((await cli(a, ['ci:run', '-p', 'livepipe', '--detach'], { cwd: repo })).code, 0);
  const { json: runs } = await api<RunJson[]>(a, 'GET', '/pipelines/livepipe/test-runs');
  const run = runs[0]!;
  // The replica that claimed the node writes its output; the other follows it.
  const owner = await waitFor('the node to be claimed', async () => (await db.query<{ lease_owner: string }>('SELECT lease_owner FROM jobs WHERE kind = $1 AND status = $2', [TEST_NODE_JOB, 'running'])).rows[0]?.lease_owner);
  const follower = owner.startsWith(`${replicaOf(a)}/`) ? b : a;
  try {
    const seen = await readUntil(`${follower.url}/test-runs/${run.id}/test-nodes/0/output`, /live-marker/, { authorization: `Bearer ${TOKEN}` });
    assert.match(seen, /live-marker from the node/, `the ${follower === a ? 'A' : 'B'} follower got the line while the node runs`);
    const [node] = await nodesOf(follower, run.id);
    assert.equal(node!.status, 'running', 'the node had not ended');
  } finally {
    nodeIds.push(...(await nodesOf(a, run.id)).map((n) => n.id));
    assert.equal((await api(a, 'PATCH', `/test-runs/${run.id}`, { status: 'cancelled' })).status, 200);
    await waitForStatus(a, run.id, ['cancelled']);
  }
});

test('CI runs started on both replicas; A SIGKILLed mid-way: B answers throughout, leads within 3 s, ends A\'s nodes "runner lost", no job ran twice', { skip, timeout: 240_000 }, async () => {
  assert.equal((await cli(a, ['pipelines:create', 'reppipe'])).code, 0);
  const repo = repoWithBuildpack({ environments: { test: { formation: { test: { quantity: 2 } }, scripts: { test: 'echo "node $CI_NODE_INDEX started"; sleep 6; echo "ok 1 - node $CI_NODE_INDEX"; echo 1..1' } } } }, 'echo compiled');
  const runs: RunJson[] = [];
  for (const s of [a, b, a]) {
    const r = await cli(s, ['ci:run', '-p', 'reppipe', '--detach'], { cwd: repo });
    assert.equal(r.code, 0, r.stderr);
    const { json } = await api<RunJson[]>(b, 'GET', '/pipelines/reppipe/test-runs');
    runs.push(json.sort((x, y) => y.number - x.number)[0]!);
  }
  assert.equal(new Set(runs.map((r) => r.id)).size, 3);
  // Four nodes run at once, two on each replica (two slots each); two wait in the queue.
  await waitFor('nodes running on both replicas', async () => {
    const rows = (await db.query<{ key: string; lease_owner: string }>('SELECT key, lease_owner FROM jobs WHERE kind = $1 AND status = $2', [TEST_NODE_JOB, 'running'])).rows;
    const replicas = new Set(rows.map((r) => r.lease_owner.split('/')[0]));
    return replicas.size === 2 ? rows : undefined;
  });
  for (const r of runs) nodeIds.push(...(await nodesOf(b, r.id)).map((n) => n.id));
  for (const r of runs) killTestNodeKeys.push(...(await nodesOf(b, r.id)).map((n) => `test-node:${n.id}`));
  await waitFor('the running nodes to have started their tests', async () => {
    const started = await Promise.all(runs.map(async (r) => (await nodesOf(b, r.id)).filter((n) => n.status === 'running').length));
    return started.reduce((x, y) => x + y, 0) >= 4;
  });

  // A steady stream of API reads on B across the kill.
  let stop = false;
  let killedAt = 0;
  const afterKill = { ok: 0, failed: [] as string[] };
  const reader = (async () => {
    while (!stop) {
      const res = await fetch(`${b.url}/pipelines/reppipe/test-runs`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5000) })
        .then((r) => (r.ok ? 'ok' : `HTTP ${r.status}`), (e: Error) => e.message);
      if (killedAt) { if (res === 'ok') afterKill.ok++; else afterKill.failed.push(res); }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  // The nodes A runs at the moment it dies (its runner's name is stable: derived from host and data folder).
  const aReplica = replicaOf(a);
  const onA = (await db.query<{ payload: string }>('SELECT payload FROM jobs WHERE kind = $1 AND status = $2 AND lease_owner LIKE $3 AND key = ANY($4)', [TEST_NODE_JOB, 'running', `${aReplica}/%`, killTestNodeKeys])).rows;
  // Job payloads are sealed at rest (they carry config vars): opened with the replicas' shared key.
  const ring = new Keyring(parseKey(TEST_SECRET_KEY, 'test key'));
  const lostIds = new Set(onA.map((j) => (JSON.parse(ring.open(j.payload)) as { nodeId: string }).nodeId));
  assert.equal(lostIds.size, 2, 'A is running two nodes');
  await a.kill();
  killedAt = Date.now();
  await waitFor('B to lead', async () => (await health(b)).leader, 10_000);
  const failoverMs = Date.now() - killedAt;

  // The reader stops whatever happens (else a failure here would leave this file's process running).
  const ended = await Promise.all(runs.map((r) => waitForStatus(b, r.id, ['succeeded', 'failed', 'errored'], 90_000)))
    .catch(async (e: Error) => {
      // Say where each node stands and what B said, not only which run did not end.
      const nodes = await Promise.all(runs.map(async (r) => (await nodesOf(b, r.id)).map((n) => `${n.id.slice(0, 8)} ${n.status} ${n.message ?? ''}`)));
      const jobs = (await db.query('SELECT key, status, lease_owner, attempts, last_error FROM jobs WHERE kind = $1', [TEST_NODE_JOB])).rows;
      throw new Error(`${e.message}\nnodes: ${JSON.stringify(nodes)}\njobs: ${JSON.stringify(jobs)}\nB said: ${b.output().slice(-3000)}`);
    })
    .finally(() => { stop = true; });
  await reader;
  assert.deepEqual(afterKill.failed, [], 'no API request to B failed after A was killed');
  assert.ok(afterKill.ok > 20, `B answered ${afterKill.ok} requests after the kill`);

  // The nodes A was running end "runner lost"; every other node ran once, on B, and passed.
  for (const r of ended) {
    const nodes = await nodesOf(b, r.id);
    for (const n of nodes) {
      if (lostIds.has(n.id)) { assert.equal(n.status, 'errored', `node ${n.id} of A`); assert.match(n.message ?? '', /runner .*lost/); }
      else assert.equal(n.status, 'succeeded', `node ${n.id} (ran on B): ${n.message}`);
    }
    assert.equal(r.status, nodes.some((n) => lostIds.has(n.id)) ? 'errored' : 'succeeded', `run #${r.number}`);
  }
  // A's finished streams were archived to the blob store: B serves the setup output of a node A ran.
  const lostRun = ended.find((r) => r.status === 'errored')!;
  const lostNode = (await nodesOf(b, lostRun.id)).find((n) => lostIds.has(n.id))!;
  const setup = await fetch(`${b.url}/test-runs/${lostRun.id}/test-nodes/${lostNode.index}/setup-output`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.match(await setup.text(), /compiled/, 'the setup output A wrote, served by B');
  const jobRows = async () => (await db.query<{ attempts: number; status: string }>('SELECT attempts, status FROM jobs WHERE kind = $1 AND key = ANY($2)', [TEST_NODE_JOB, killTestNodeKeys])).rows;
  // A node's end is written before its job's row (and a lost replica's job ends when B sweeps it): the rows are read once they stopped changing, or after 15 s.
  await waitFor('the test-node jobs to end', async () => (await jobRows()).every((j) => ['succeeded', 'failed'].includes(j.status)), 15_000).catch(() => {});
  const jobs = await jobRows();
  assert.equal(jobs.length, 6);
  assert.deepEqual(jobs.filter((j) => Number(j.attempts) !== 1), [], 'every test-node job was claimed exactly once');
  assert.deepEqual(jobs.filter((j) => !['succeeded', 'failed'].includes(j.status)), [], 'none is left queued or running');
  console.log(`replica failover: B led ${failoverMs} ms after A's SIGKILL; B answered ${afterKill.ok} reads after the kill, none failed`);
});

test('two replicas starting at once over a build stranded with no job: the leader alone ends it, and its failure is recorded and said once', { skip, timeout: 180_000 }, async () => {
  assert.equal((await cli(b, ['apps:create', 'strandapp'])).code, 0);
  const { json: app } = await api<{ id: string }>(b, 'GET', '/apps/strandapp');
  // No replica runs (A was killed by the test before, or is stopped here if that test did not get so far).
  await b.stop();
  await a.stop();
  // A build written, its job never queued (its server stopped between the two), five minutes ago.
  const buildId = (await db.query<{ id: string }>('SELECT gen_random_uuid()::text AS id')).rows[0]!.id;
  const old = new Date(Date.now() - 5 * 60_000).toISOString();
  await db.query("INSERT INTO builds (id, app_id, status, source_blob_url, created_at, updated_at) VALUES ($1, $2, 'pending', 'http://127.0.0.1:9/none', $3, $3)", [buildId, app.id, old]);
  // Another session holds the build's row while both start (a slow transaction): whoever ends the build waits on
  // it, so replicas that each end it are all waiting before either can write.
  const holder = new pg.Client({ connectionString: cluster.url });
  await holder.connect();
  const waiting = async () => Number((await db.query<{ n: string }>(
    "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE 'update \"builds\"%'")).rows[0]!.n);
  let up = 0;
  const starts = [startServer(env(), a.dataDir), startServer(env(), b.dataDir)].map((p) => p.then((s) => { up++; return s; }));
  for (const p of starts) p.catch(() => {}); // seen below, once both are through
  let startFailed: unknown;
  try {
    await holder.query('BEGIN');
    await holder.query('SELECT id FROM builds WHERE id = $1 FOR UPDATE', [buildId]);
    // Both replicas waiting on the row (each ends it), or both up and one waiting (only the leader ends it).
    await waitFor('the replicas to reach the stranded build', async () => { const n = await waiting(); return n >= 2 || (up === 2 && n >= 1); }, 150_000);
    await holder.query('COMMIT');
  } finally {
    await holder.end();
    // Both starts are seen through whatever failed: a replica that started is this file's to stop.
    const done = await Promise.allSettled(starts);
    const ok = done.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (ok.length === 2) [a, b] = ok as [TestServer, TestServer];
    else { for (const s of ok) await s.stop(); startFailed = done.find((r) => r.status === 'rejected')?.reason; }
  }
  if (startFailed) throw startFailed;
  const build = await waitFor('the stranded build to end', async () => {
    const { json } = await api<Array<{ id: string; status: string; message: string | null }>>(a, 'GET', '/apps/strandapp/builds');
    return json.find((x) => x.id === buildId && x.status !== 'pending');
  }, 30_000);
  assert.equal(build.status, 'failed');
  assert.match(build.message ?? '', /server stopped during this build/);
  // (Said in the app's log, and by the replica that ended it in its own output.)
  const said = () => (a.output() + b.output()).split('the server stopped during it; failed and cleaned up').length - 1;
  const log = await waitFor('the app\'s log and a replica to say so', async () => {
    const r = await cli(b, ['logs', '-a', 'strandapp', '-n', '100']);
    return /Build failed/.test(r.stdout) && said() > 0 ? r.stdout : undefined;
  }, 30_000);
  assert.deepEqual({ said: said(), logged: log.split('Build failed: The server stopped during this build').length - 1 }, { said: 1, logged: 1 }, 'one replica ended it, once');
});
