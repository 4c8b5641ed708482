// Test runs with their nodes and test cases. Statuses change only through core/test-run-status.
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { Database, TestRunsTable, TestNodesTable, TestCasesTable } from './schema.js';
import { newId, isUuid } from '../core/ids.js';
import { fail } from '../core/errors.js';
import { aggregateRunStatus, isTerminal, nextStatus, type NodeEvent, type TestStatus } from '../core/test-run-status.js';
import { nextTestRunNumber } from './pipelines.js';
import { now } from './db.js';
import { withFlowEdges, writeFlowEdge } from './flow-edges.js';
import { testRunsChanged } from '../core/wakeup.js';

export type TestRun = Selectable<TestRunsTable>;
export type TestNode = TestNodesTable;
export type TestCase = Omit<TestCasesTable, 'flaky'> & { flaky: number };
type Db = Kysely<Database> | Transaction<Database>;

export interface NewTestRun {
  pipelineId: string;
  commitBranch: string | null;
  commitSha: string;
  commitMessage: string | null;
  sourceBlobUrl: string;
  sourceId: string | null;
  clearCache: boolean;
  timeoutSeconds: number;
  actor: string | null;
  /** An acceptance run: a named command against a deployed app instead of app.json's test script. */
  acceptance?: { command: string; appId: string; releaseVersion: number };
}

/** Create a run numbered next in its pipeline, `pending`, with no nodes yet (they come from app.json). */
export async function createTestRun(db: Kysely<Database>, r: NewTestRun): Promise<TestRun> {
  return withFlowEdges(db, async (trx) => {
    const number = await nextTestRunNumber(trx, r.pipelineId);
    const row: TestRun = {
      id: newId(), pipeline_id: r.pipelineId, number, status: 'pending', commit_branch: r.commitBranch, commit_sha: r.commitSha,
      commit_message: r.commitMessage, source_blob_url: r.sourceBlobUrl, source_id: r.sourceId, message: null, error_id: null,
      clear_cache: r.clearCache ? 1 : 0, timeout_seconds: r.timeoutSeconds, node_total: 1, actor: r.actor,
      kind: r.acceptance ? 'acceptance' : 'ci', test_command: r.acceptance?.command ?? null, target_app_id: r.acceptance?.appId ?? null,
      target_release_version: r.acceptance?.releaseVersion ?? null, end_notified: 0, created_at: now(), updated_at: now(), finished_at: null,
    };
    const { end_notified: _, ...insert } = row;
    await trx.insertInto('test_runs').values(insert).execute();
    // Its start's follow-up (the pending commit status) in the same transaction: a crash cannot lose it.
    await writeFlowEdge(trx, 'test-run-started', row.id);
    return row;
  });
}

export async function getTestRun(db: Db, id: string): Promise<TestRun> {
  const run = isUuid(id) ? await db.selectFrom('test_runs').selectAll().where('id', '=', id).executeTakeFirst() : undefined;
  if (!run) throw fail('test_run_not_found', `Couldn't find test run ${id}.`);
  return run;
}

export async function getTestRunByNumber(db: Db, pipelineId: string, number: number): Promise<TestRun> {
  const run = await db.selectFrom('test_runs').selectAll().where('pipeline_id', '=', pipelineId).where('number', '=', number).executeTakeFirst();
  if (!run) throw fail('test_run_not_found', `Couldn't find test run #${number} in this pipeline. List runs with \`slipway ci\`.`);
  return run;
}

/** Newest first; `before` pages by run number (keyset: as fast on page 100 as on page 1). */
export async function listTestRuns(db: Db, pipelineId: string, opts: { limit?: number; before?: number; branch?: string; status?: string } = {}): Promise<TestRun[]> {
  let q = db.selectFrom('test_runs').selectAll().where('pipeline_id', '=', pipelineId);
  if (opts.before !== undefined) q = q.where('number', '<', opts.before);
  if (opts.branch) q = q.where('commit_branch', '=', opts.branch);
  if (opts.status) q = q.where('status', '=', opts.status);
  return q.orderBy('number', 'desc').limit(opts.limit ?? 20).execute();
}

/** The branches of a pipeline's recent runs (the Tests tab's filter suggests them), most recent first. */
export async function testRunBranches(db: Db, pipelineId: string, limit = 50, recent = 1000): Promise<string[]> {
  // Among the pipeline's last `recent` runs (read newest first off the (pipeline, number) index): the
  // cost stays flat however many runs the pipeline has had (grouping them all grew with every run).
  const rows = await db.selectFrom((qb) => qb.selectFrom('test_runs').select(['commit_branch', 'number'])
    .where('pipeline_id', '=', pipelineId).orderBy('number', 'desc').limit(recent).as('recent'))
    .select('commit_branch').select((eb) => eb.fn.max('number').as('last'))
    .where('commit_branch', 'is not', null).groupBy('commit_branch').orderBy('last', 'desc').limit(limit).execute();
  return rows.map((r) => r.commit_branch!);
}

/** Create the run's nodes (0..total-1), pending, once app.json says how many. Idempotent. */
export async function createTestNodes(db: Db, runId: string, total: number): Promise<TestNode[]> {
  const existing = await listTestNodes(db, runId);
  if (existing.length) return existing;
  const rows: TestNode[] = Array.from({ length: total }, (_, idx) => ({
    id: newId(), test_run_id: runId, idx, status: 'pending', exit_code: null, message: null, error_id: null, waiting_reason: null,
    setup_done: 0, created_at: now(), updated_at: now(), started_at: null, finished_at: null,
  }));
  await db.insertInto('test_nodes').values(rows).execute();
  await db.updateTable('test_runs').set({ node_total: total, updated_at: now() }).where('id', '=', runId).execute();
  return rows;
}

export async function listTestNodes(db: Db, runId: string): Promise<TestNode[]> {
  return db.selectFrom('test_nodes').selectAll().where('test_run_id', '=', runId).orderBy('idx').execute();
}

export async function getTestNode(db: Db, runId: string, idx: number): Promise<TestNode> {
  const n = await db.selectFrom('test_nodes').selectAll().where('test_run_id', '=', runId).where('idx', '=', idx).executeTakeFirst();
  if (!n) throw fail('test_node_not_found', `Test run has no node ${idx}.`);
  return n;
}

export interface NodeChange { exitCode?: number | null; message?: string | null; errorId?: string | null; waitingReason?: string | null; setupDone?: boolean }

/**
 * Apply a status event to a node (pure transition), then recompute the run's status from its nodes.
 * Returns false (and changes nothing) when the node already ended, e.g. a cancelled node finishing
 * late; `run-ended` when this change ended the run (its follow-ups are queued with it).
 */
export async function applyNodeEvent(db: Kysely<Database>, nodeId: string, event: NodeEvent, change: NodeChange = {}): Promise<false | 'moved' | 'run-ended'> {
  const moved = await withFlowEdges(db, async (trx) => {
    // One run's node changes go one at a time (the run's row is locked by this no-op update): two
    // nodes ending at once on two replicas then each see the other's end, and the run's status is
    // computed from every node's (else both could see the other still running, and the run never ends).
    const { test_run_id: runId } = await trx.selectFrom('test_nodes').select('test_run_id').where('id', '=', nodeId).executeTakeFirstOrThrow();
    await trx.updateTable('test_runs').set((eb) => ({ updated_at: eb.ref('updated_at') })).where('id', '=', runId).execute();
    const node = await trx.selectFrom('test_nodes').selectAll().where('id', '=', nodeId).executeTakeFirstOrThrow();
    const from = node.status as TestStatus;
    if (isTerminal(from)) return false;
    const to = nextStatus(from, event);
    const t = now();
    await trx.updateTable('test_nodes').set({
      status: to, updated_at: t,
      ...(from === 'pending' ? { started_at: t, waiting_reason: null } : {}),
      ...(isTerminal(to) ? { finished_at: t, waiting_reason: null } : {}),
      ...(change.exitCode !== undefined ? { exit_code: change.exitCode } : {}),
      ...(change.message !== undefined ? { message: change.message } : {}),
      ...(change.errorId !== undefined ? { error_id: change.errorId } : {}),
      ...(change.setupDone ? { setup_done: 1 } : {}),
    }).where('id', '=', nodeId).execute();
    return (await refreshRunStatus(trx, node.test_run_id, isTerminal(to) && to !== 'succeeded' ? change : {})) ? 'run-ended' : 'moved';
  });
  if (moved) testRunsChanged.notify();
  return moved;
}

/** Note why a node still waits (shown by ci:info); cleared when it moves. */
export async function setWaitingReason(db: Db, nodeId: string, reason: string | null): Promise<void> {
  await db.updateTable('test_nodes').set({ waiting_reason: reason }).where('id', '=', nodeId).where('status', '=', 'pending').execute();
}

/** Recompute a run's status from its nodes; true when this ended the run. */
async function refreshRunStatus(trx: Db, runId: string, change: NodeChange): Promise<boolean> {
  const nodes = await listTestNodes(trx, runId);
  const run = await trx.selectFrom('test_runs').select(['status', 'message']).where('id', '=', runId).executeTakeFirstOrThrow();
  const status = aggregateRunStatus(nodes.map((n) => n.status as TestStatus));
  if (status === run.status && !change.message) return false;
  await trx.updateTable('test_runs').set({
    status, updated_at: now(),
    ...(isTerminal(status) ? { finished_at: now() } : {}),
    // The run's message is the first problem any node reported.
    ...(change.message && !run.message ? { message: change.message, error_id: change.errorId ?? null } : {}),
  }).where('id', '=', runId).execute();
  // The run ended: what follows it (deploys waiting for CI, commit statuses) is queued with the change.
  if (!isTerminal(status) || isTerminal(run.status as TestStatus)) return false;
  await writeFlowEdge(trx, 'test-run-ended', runId);
  return true;
}

/** A run that never got nodes (the server stopped before) ends errored, its follow-ups queued with it. */
export async function errorStrandedRun(db: Kysely<Database>, runId: string, message: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const r = await trx.updateTable('test_runs').set({ status: 'errored', error_id: 'runner_lost', message, finished_at: now(), updated_at: now() })
      .where('id', '=', runId).where('status', '=', 'pending').executeTakeFirst();
    if (Number(r.numUpdatedRows)) await writeFlowEdge(trx, 'test-run-ended', runId);
  });
  testRunsChanged.notify();
}

/** End a run that never got nodes (e.g. its app.json was invalid): one errored node records why. */
export async function errorRunBeforeNodes(db: Kysely<Database>, runId: string, errorId: string, message: string): Promise<void> {
  const [node] = await createTestNodes(db, runId, 1);
  await applyNodeEvent(db, node!.id, { type: 'error' }, { errorId, message });
}

/** `durationMs`: the time the test itself reported (TAP `duration_ms`, JUnit `time`), when it did. */
export interface NewTestCase { number: number; description: string; status: 'passed' | 'failed' | 'skipped' | 'todo'; diagnostic: string | null; durationMs?: number | null }

export async function insertTestCases(db: Db, runId: string, nodeId: string, cases: NewTestCase[]): Promise<void> {
  if (!cases.length) return;
  const t = now();
  for (let i = 0; i < cases.length; i += 200) {
    await db.insertInto('test_cases').values(cases.slice(i, i + 200).map((c) => ({
      id: newId(), test_run_id: runId, test_node_id: nodeId, number: c.number, description: c.description,
      status: c.status, diagnostic: c.diagnostic, duration_ms: c.durationMs ?? null, created_at: t,
    }))).execute();
  }
}

/**
 * A test that both failed and passed on the same commit in this pipeline is flaky: mark this run's
 * case and the earlier ones it disagrees with.
 */
export async function markFlakyCases(db: Db, runId: string): Promise<number> {
  const run = await db.selectFrom('test_runs').select(['pipeline_id', 'commit_sha']).where('id', '=', runId).executeTakeFirstOrThrow();
  const others = sql`SELECT p.description, p.status, p.id FROM test_cases p JOIN test_runs r ON r.id = p.test_run_id
    WHERE r.pipeline_id = ${run.pipeline_id} AND r.commit_sha = ${run.commit_sha} AND r.id <> ${runId} AND p.status IN ('passed', 'failed')`;
  const mine = await sql<{ id: string }>`UPDATE test_cases SET flaky = 1 WHERE test_run_id = ${runId} AND status IN ('passed', 'failed')
    AND EXISTS (SELECT 1 FROM (${others}) o WHERE o.description = test_cases.description AND o.status <> test_cases.status) RETURNING id`.execute(db);
  if (mine.rows.length) {
    await sql`UPDATE test_cases SET flaky = 1 WHERE id IN (SELECT o.id FROM (${others}) o JOIN test_cases c ON c.test_run_id = ${runId}
      AND c.description = o.description AND c.status <> o.status AND c.status IN ('passed', 'failed'))`.execute(db);
  }
  return mine.rows.length;
}

/** One test's results across a pipeline's runs, newest first. */
export async function testHistory(db: Db, pipelineId: string, description: string, limit = 50) {
  return db.selectFrom('test_cases').innerJoin('test_runs', 'test_runs.id', 'test_cases.test_run_id')
    .select(['test_runs.number', 'test_runs.commit_sha', 'test_runs.commit_branch', 'test_cases.status', 'test_cases.flaky', 'test_runs.created_at'])
    .where('test_runs.pipeline_id', '=', pipelineId).where('test_cases.description', '=', description)
    .orderBy('test_runs.number', 'desc').limit(limit).execute();
}

export async function listTestCases(db: Db, runId: string, nodeId?: string): Promise<TestCase[]> {
  let q = db.selectFrom('test_cases').selectAll().where('test_run_id', '=', runId);
  if (nodeId) q = q.where('test_node_id', '=', nodeId);
  return q.orderBy('test_node_id').orderBy('number').execute();
}

/** Counts of test cases per status for a set of runs (for listings). */
export async function countTestCases(db: Db, runIds: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>();
  if (!runIds.length) return out;
  const rows = await db.selectFrom('test_cases').select(['test_run_id', 'status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('test_run_id', 'in', runIds).groupBy(['test_run_id', 'status']).execute();
  for (const r of rows) {
    const c = out.get(r.test_run_id) ?? { passed: 0, failed: 0, skipped: 0, todo: 0 };
    c[r.status] = Number(r.n);
    out.set(r.test_run_id, c);
  }
  return out;
}
