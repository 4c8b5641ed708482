// Test runs seeded straight into a store (benches only: the volume a real pipeline takes months to
// build), shaped as the orchestration writes them: one node per run, `cases` test cases each with a
// duration, a mix of outcomes, every seventh run on a feature branch, one run a minute.
import type { Kysely } from 'kysely';
import type { Database } from '../src/store/schema.js';
import { newId } from '../src/core/ids.js';

const STATUSES = ['succeeded', 'succeeded', 'succeeded', 'failed', 'errored', 'cancelled'];

/** Insert runs `from`..`to` (numbers) of a pipeline with `cases` cases each, in one transaction; the id of run `to`. */
export async function seedRuns(db: Kysely<Database>, o: { pipelineId: string; from: number; to: number; cases: number; t0: number }): Promise<string> {
  let last = '';
  await db.transaction().execute(async (trx) => {
    for (let i = o.from; i <= o.to; i += 250) {
      const runs = [];
      const nodes = [];
      const cases = [];
      for (let n = i; n <= Math.min(o.to, i + 249); n++) {
        const id = newId();
        const at = new Date(o.t0 + n * 60_000).toISOString();
        const status = STATUSES[n % STATUSES.length]!;
        runs.push({ id, pipeline_id: o.pipelineId, number: n, status, commit_branch: n % 7 === 0 ? `feature-${n % 13}` : 'main', commit_sha: (n * 2654435761).toString(16).padStart(40, '0').slice(0, 40),
          commit_message: `commit ${n}`, source_blob_url: 'http://127.0.0.1/none', source_id: null, message: null, error_id: null, clear_cache: 0, timeout_seconds: 3600, node_total: 1,
          actor: 'bench', kind: 'ci', test_command: null, target_app_id: null, target_release_version: null, created_at: at, updated_at: at, finished_at: new Date(o.t0 + n * 60_000 + 42_000).toISOString() });
        const nodeId = newId();
        nodes.push({ id: nodeId, test_run_id: id, idx: 0, status, exit_code: status === 'succeeded' ? 0 : 1, message: null, error_id: null, waiting_reason: null, setup_done: 1, created_at: at, updated_at: at, started_at: at, finished_at: at });
        for (let c = 1; c <= o.cases; c++) cases.push({ id: newId(), test_run_id: id, test_node_id: nodeId, number: c, description: `case ${c}`, status: status === 'failed' && c === 3 ? 'failed' : 'passed', diagnostic: null, duration_ms: c * 7.5, created_at: at });
        last = id;
      }
      await trx.insertInto('test_runs').values(runs).execute();
      await trx.insertInto('test_nodes').values(nodes).execute();
      for (let c = 0; c < cases.length; c += 500) await trx.insertInto('test_cases').values(cases.slice(c, c + 500)).execute();
    }
    await trx.updateTable('pipelines').set({ test_run_counter: o.to }).where('id', '=', o.pipelineId).execute();
  });
  return last;
}
