// A pipeline's review apps (one per pull request), with Heroku's review app statuses.
import type { FastifyInstance } from 'fastify';
import { getPipeline } from '../store/pipelines.js';
import { listReviewApps } from '../store/review-apps.js';
import { getApp } from '../store/apps.js';
import type { AppContext } from '../app-context.js';

export async function reviewAppRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  app.get<{ Params: { id: string } }>('/pipelines/:id/review-apps', async (req) => {
    const p = await getPipeline(db, req.params.id);
    const out = [];
    for (const r of await listReviewApps(db, p.id)) {
      const a = r.app_id && r.status !== 'deleted' ? await getApp(db, r.app_id).catch(() => null) : null;
      out.push({
        id: r.id, pr_number: r.pr_number, branch: r.branch, status: r.status, message: r.message, postdeploy_done: r.postdeploy_done === 1,
        app: a ? { id: a.id, name: a.name, web_url: `http://${a.name}.${ctx.config.domain}:${ctx.config.routerPort}/` } : null,
        pipeline: { id: p.id, name: p.name }, created_at: r.created_at, updated_at: r.updated_at,
      });
    }
    return out;
  });
}
