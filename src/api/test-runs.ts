import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod/v3';
import { getPipeline } from '../store/pipelines.js';
import { countTestCases, testHistory, getTestRun, getTestRunByNumber, listTestCases, listTestNodes, listTestRuns, type TestRun } from '../store/test-runs.js';
import { startTestRun } from '../ci/start-test-run.js';
import { cancelTestRun } from '../ci/cancel-test-run.js';
import { listAddons } from '../store/test-run-addons.js';
import type { AppContext } from '../app-context.js';
import { parseBody } from './errors.js';
import { testRunsChanged } from '../core/wakeup.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';
import { testCaseJson, testNodeJson, testRunJson } from './shapes.js';

const createBody = z.object({
  pipeline: z.string().min(1),
  commit_sha: z.string().regex(/^[0-9a-f]{7,64}$/i, 'a git commit sha'),
  commit_branch: z.string().max(255).nullable().optional(),
  commit_message: z.string().max(65_536).nullable().optional(),
  source_blob_url: z.string().url(),
  clear_cache: z.boolean().optional(),
  debug: z.boolean().optional(),
  organization: z.string().optional(),
});

export async function testRunRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const show = async (req: FastifyRequest, run: TestRun) => {
    const p = await getPipeline(db, run.pipeline_id);
    const counts = (await countTestCases(db, [run.id])).get(run.id);
    return testRunJson(ctx, req, run, p.name, counts as never);
  };

  app.post('/test-runs', async (req, reply) => {
    const b = parseBody(createBody, req.body);
    const pipeline = await getPipeline(db, b.pipeline);
    const run = await startTestRun(ctx, {
      pipeline, commitBranch: b.commit_branch ?? null, commitSha: b.commit_sha, commitMessage: b.commit_message ?? null,
      sourceBlobUrl: b.source_blob_url, clearCache: b.clear_cache ?? false, actor: req.actor?.name ?? null,
    });
    return reply.status(201).send(await show(req, await getTestRun(db, run.id)));
  });

  // `?wait_for_end=S` (Slipway's addition, for `ci:run`): answer once the run has ended, or after S
  // seconds (at most 30) with the run as it is then — woken by this process's status changes, and
  // looking again every second for another replica's.
  app.get<{ Params: { id: string }; Querystring: { wait_for_end?: string } }>('/test-runs/:id', async (req) => {
    const { wait_for_end: waitS } = parseBody(z.object({ wait_for_end: z.coerce.number().min(0).max(30).optional() }), req.query);
    const until = Date.now() + (waitS ?? 0) * 1000;
    const closed = new AbortController();
    req.raw.on('close', () => closed.abort());
    for (;;) {
      // The wait begins before the read: a change between the two still wakes it.
      const look = new AbortController();
      const changed = testRunsChanged.wait(Math.min(1000, until - Date.now()), AbortSignal.any([closed.signal, look.signal]));
      const run = await getTestRun(db, req.params.id);
      if (isTerminal(run.status as TestStatus) || Date.now() >= until || closed.signal.aborted) { look.abort(); return show(req, run); }
      await changed;
    }
  });

  app.patch<{ Params: { id: string } }>('/test-runs/:id', async (req) => {
    const run = await getTestRun(db, req.params.id);
    parseBody(z.object({ status: z.literal('cancelled'), message: z.string().optional() }), req.body);
    await cancelTestRun(ctx, run);
    return show(req, await getTestRun(db, run.id));
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: string; before?: string; branch?: string } }>('/pipelines/:id/test-runs', async (req) => {
    const p = await getPipeline(db, req.params.id);
    const q = parseBody(z.object({ limit: z.coerce.number().int().min(1).max(1000).optional(), before: z.coerce.number().int().optional(), branch: z.string().optional() }), req.query);
    const runs = await listTestRuns(db, p.id, q);
    const counts = await countTestCases(db, runs.map((r) => r.id));
    return runs.map((r) => testRunJson(ctx, req, r, p.name, counts.get(r.id) as never));
  });

  const byNumber = async (req: FastifyRequest<{ Params: { id: string; number: string } }>) => {
    const p = await getPipeline(db, req.params.id);
    const n = parseBody(z.coerce.number().int().min(1), req.params.number);
    return show(req, await getTestRunByNumber(db, p.id, n));
  };
  app.get<{ Params: { id: string; number: string } }>('/pipelines/:id/test-runs/:number', byNumber);
  // The run's permanent URL (its `url`): a browser gets the dashboard page (src/web), API clients this JSON.
  app.get<{ Params: { id: string; number: string } }>('/pipelines/:id/tests/:number', byNumber);

  app.get<{ Params: { id: string } }>('/test-runs/:id/test-nodes', async (req) => {
    const run = await getTestRun(db, req.params.id);
    return (await listTestNodes(db, run.id)).map((n) => testNodeJson(ctx, req, run, n));
  });

  app.get<{ Params: { id: string }; Querystring: { description?: string } }>('/pipelines/:id/test-history', async (req) => {
    const p = await getPipeline(db, req.params.id);
    const q = parseBody(z.object({ description: z.string().min(1) }), req.query);
    return (await testHistory(db, p.id, q.description)).map((h) => ({ ...h, flaky: h.flaky === 1 }));
  });

  app.get<{ Params: { id: string } }>('/test-runs/:id/addons', async (req) => {
    const run = await getTestRun(db, req.params.id);
    return (await listAddons(db, run.id)).map((a) => ({
      id: a.id, name: a.name, plan: { name: a.plan }, addon_service: { name: a.plan.split(':')[0] }, provider: a.provider,
      state: a.status, config_vars: [`${a.name}_URL`], created_at: a.created_at, deprovisioned_at: a.deprovisioned_at,
    }));
  });

  app.get<{ Params: { id: string }; Querystring: { node?: string } }>('/test-runs/:id/test-cases', async (req) => {
    const run = await getTestRun(db, req.params.id);
    const nodes = await listTestNodes(db, run.id);
    const idx = new Map(nodes.map((n) => [n.id, n.idx]));
    const only = req.query.node !== undefined ? nodes.find((n) => String(n.idx) === req.query.node)?.id ?? 'none' : undefined;
    return (await listTestCases(db, run.id, only)).map((c) => testCaseJson(c, idx.get(c.test_node_id) ?? 0));
  });
}
