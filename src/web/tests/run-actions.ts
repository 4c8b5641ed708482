// Re-run and Cancel from the run page: the same code paths as `ci:rerun` and `ci:cancel`.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import type { Pipeline } from '../../store/pipelines.js';
import { getTestRun, type TestRun } from '../../store/test-runs.js';
import { startTestRun } from '../../ci/start-test-run.js';
import { cancelTestRun } from '../../ci/cancel-test-run.js';
import { checkCsrf } from '../auth/sign-in.js';
import { enc } from '../layout.js';

type Find = (id: string, number: string) => Promise<{ p: Pipeline; run: TestRun }>;

export async function runActionRoutes(app: FastifyInstance, ctx: AppContext, find: Find): Promise<void> {
  app.post<{ Params: { id: string; number: string } }>('/pipelines/:id/tests/:number/rerun', { config: { web: 'page' } }, async (req, reply) => {
    checkCsrf(ctx, req);
    const { p, run } = await find(req.params.id, req.params.number);
    const again = await startTestRun(ctx, {
      pipeline: p, commitBranch: run.commit_branch, commitSha: run.commit_sha, commitMessage: run.commit_message,
      sourceBlobUrl: run.source_blob_url, clearCache: false, actor: req.actor?.name ?? null,
    });
    return reply.redirect(`/pipelines/${enc(p.name)}/tests/${(await getTestRun(ctx.store.db, again.id)).number}`, 303);
  });

  app.post<{ Params: { id: string; number: string } }>('/pipelines/:id/tests/:number/cancel', { config: { web: 'page' } }, async (req, reply) => {
    checkCsrf(ctx, req);
    const { p, run } = await find(req.params.id, req.params.number);
    await cancelTestRun(ctx, run);
    return reply.redirect(`/pipelines/${enc(p.name)}/tests/${run.number}`, 303);
  });
}
