// Two `slipway server` replicas on one Postgres (each its own port and data folder), blobs in
// Postgres: work started through either is done by whichever claims it; one replica SIGKILLed
// mid-way, the other keeps answering, takes over as leader, recovers the dead one's jobs, and no
// job ran twice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
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

const skip = needs('postgres');
let cluster: PgCluster;
let db: pg.Client;
let a: TestServer;
let b: TestServer;
const nodeIds: string[] = [];
const env = () => ({ DATABASE_URL: cluster.url, SLIPWAY_JOB_LEASE_SECONDS: '3', SLIPWAY_RUNNER_CONCURRENCY: '2' });
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
  await a?.stop();
  // The killed replica's workspace filesystems, namespaces and cgroups go with one more start and stop on its data folder.
  if (a) { const again = await startServer(env(), a.dataDir); await again.stop(); }
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
  const aReplica = `embedded-${createHash('sha256').update(os.hostname() + a.dataDir).digest('hex').slice(0, 10)}`;
  const onA = (await db.query<{ payload: string }>('SELECT payload FROM jobs WHERE kind = $1 AND status = $2 AND lease_owner LIKE $3', [TEST_NODE_JOB, 'running', `${aReplica}/%`])).rows;
  // Job payloads are sealed at rest (they carry config vars): opened with the replicas' shared key.
  const ring = new Keyring(parseKey(TEST_SECRET_KEY, 'test key'));
  const lostIds = new Set(onA.map((j) => (JSON.parse(ring.open(j.payload)) as { nodeId: string }).nodeId));
  assert.equal(lostIds.size, 2, 'A is running two nodes');
  await a.kill();
  killedAt = Date.now();
  await waitFor('B to lead', async () => (await health(b)).leader, 10_000);
  const failoverMs = Date.now() - killedAt;
  assert.ok(failoverMs < 3000, `B led ${failoverMs} ms after A was killed`);

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
  const jobs = (await db.query<{ attempts: number; status: string }>('SELECT attempts, status FROM jobs WHERE kind = $1', [TEST_NODE_JOB])).rows;
  assert.equal(jobs.length, 6);
  assert.deepEqual(jobs.filter((j) => Number(j.attempts) !== 1), [], 'every test-node job was claimed exactly once');
  assert.deepEqual(jobs.filter((j) => !['succeeded', 'failed'].includes(j.status)), [], 'none is left queued or running');
  console.log(`replica failover: B led ${failoverMs} ms after A's SIGKILL; B answered ${afterKill.ok} reads after the kill, none failed`);
});
