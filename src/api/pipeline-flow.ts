// Pipeline couplings (apps in stages), promotions with their targets, the latest release per app,
// the pipeline's event log and the commit diff between stages — Heroku v3 shapes where Heroku has them.
import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { getPipeline } from '../store/pipelines.js';
import { getApp } from '../store/apps.js';
import { createCoupling, couplingOfApp, deleteCoupling, getCoupling, listCouplings, updateCouplingStage, type CouplingWithNames } from '../store/couplings.js';
import { getPromotion, listTargets, type Promotion } from '../store/promotions.js';
import { listPipelineEvents } from '../store/pipeline-events.js';
import { currentRelease } from '../store/releases.js';
import { getSlug } from '../store/builds.js';
import { promote } from '../pipelines/promote.js';
import { inferStage, isStage, nextStage, STAGES, type Stage } from '../pipelines/stages.js';
import { appRepos, commitDiff } from '../pipelines/diff.js';
import { mirrorPath } from '../integrations/github-mirror.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';
import { parseBody } from './errors.js';

const ref = z.union([z.string().min(1), z.object({ id: z.string().min(1) }).transform((o) => o.id), z.object({ name: z.string().min(1) }).transform((o) => o.name)]);
const stageSchema = z.string().refine(isStage, { message: `stage must be one of ${STAGES.join(', ')}` });

export const couplingJson = (c: CouplingWithNames) => ({
  id: c.id, stage: c.stage, app: { id: c.app_id, name: c.app_name }, pipeline: { id: c.pipeline_id, name: c.pipeline_name }, created_at: c.created_at, updated_at: c.updated_at,
});

export async function pipelineFlowRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;

  app.post('/pipeline-couplings', async (req, reply) => {
    const b = parseBody(z.object({ pipeline: ref, app: ref, stage: stageSchema.optional() }), req.body);
    const p = await getPipeline(db, b.pipeline);
    const a = await getApp(db, b.app);
    const stage = b.stage ?? inferStage(a.name);
    if (!stage) throw fail('invalid_params', `Can't tell the stage of ${a.name} from its name: pass one of ${STAGES.join(', ')} (--stage).`);
    return reply.status(201).send(couplingJson(await createCoupling(db, p.id, a.id, stage)));
  });
  app.get<{ Params: { id: string } }>('/pipelines/:id/pipeline-couplings', async (req) => {
    const p = await getPipeline(db, req.params.id);
    return (await listCouplings(db, p.id)).map(couplingJson);
  });
  app.get<{ Params: { app: string } }>('/apps/:app/pipeline-couplings', async (req) => {
    const a = await getApp(db, req.params.app);
    const c = await couplingOfApp(db, a.id);
    if (!c) throw fail('not_found', `App ${a.name} is not in a pipeline.`);
    return couplingJson(c);
  });
  app.get<{ Params: { id: string } }>('/pipeline-couplings/:id', async (req) => couplingJson(await getCoupling(db, req.params.id)));
  app.patch<{ Params: { id: string } }>('/pipeline-couplings/:id', async (req) => {
    const c = await getCoupling(db, req.params.id);
    const b = parseBody(z.object({ stage: stageSchema }), req.body);
    await updateCouplingStage(db, c.id, b.stage);
    return couplingJson(await getCoupling(db, c.id));
  });
  app.delete<{ Params: { id: string } }>('/pipeline-couplings/:id', async (req) => {
    const c = await getCoupling(db, req.params.id);
    await deleteCoupling(db, c.id);
    return couplingJson(c);
  });

  const promotionJson = async (p: Promotion) => {
    const source = await getApp(db, p.source_app_id).catch(() => null);
    return {
      id: p.id, status: p.status, pipeline: { id: p.pipeline_id }, source: { app: { id: p.source_app_id, name: source?.name ?? null }, release: { id: p.source_release_id } },
      slug: { id: p.slug_id }, actor: p.actor, created_at: p.created_at, updated_at: p.updated_at,
    };
  };
  app.post('/pipeline-promotions', async (req, reply) => {
    const b = parseBody(z.object({
      pipeline: ref, source: z.object({ app: ref }),
      targets: z.array(z.object({ app: ref })).optional(),
    }), req.body);
    const pipeline = await getPipeline(db, b.pipeline);
    const source = await getApp(db, b.source.app);
    const targets = b.targets?.length ? await Promise.all(b.targets.map((t) => getApp(db, t.app))) : undefined;
    const p = await promote(ctx, { pipeline, source, targets, actor: req.actor?.name ?? null });
    return reply.status(201).send(await promotionJson(p));
  });
  app.get<{ Params: { id: string } }>('/pipeline-promotions/:id', async (req) => promotionJson(await getPromotion(db, req.params.id)));
  app.get<{ Params: { id: string } }>('/pipeline-promotions/:id/promotion-targets', async (req) => {
    const p = await getPromotion(db, req.params.id);
    return (await listTargets(db, p.id)).map((t) => ({
      id: t.id, status: t.status, error_message: t.error_message, app: { id: t.app_id, name: t.app_name },
      release: t.release_id ? { id: t.release_id, version: t.release_version } : null, pipeline_promotion: { id: p.id },
      created_at: t.created_at, updated_at: t.updated_at,
    }));
  });

  app.get<{ Params: { id: string } }>('/pipelines/:id/latest-releases', async (req) => {
    const p = await getPipeline(db, req.params.id);
    const out = [];
    for (const c of await listCouplings(db, p.id)) {
      const r = await currentRelease(db, c.app_id);
      if (!r) continue;
      const slug = r.slug_id ? await getSlug(db, r.slug_id).catch(() => null) : null;
      out.push({
        id: r.id, version: r.version, status: r.status, description: r.description, app: { id: c.app_id, name: c.app_name }, stage: c.stage,
        slug: slug ? { id: slug.id, commit: slug.commit } : null, created_at: r.created_at, updated_at: r.updated_at,
      });
    }
    return out;
  });

  app.get<{ Params: { id: string }; Querystring: { limit?: string } }>('/pipelines/:id/events', async (req) => {
    const p = await getPipeline(db, req.params.id);
    const q = parseBody(z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }), req.query);
    return (await listPipelineEvents(db, p.id, q.limit)).map((e) => ({ id: e.id, kind: e.kind, message: e.message, created_at: e.created_at }));
  });

  // The commits the app has that each app of the next stage does not.
  app.get<{ Params: { id: string }; Querystring: { app?: string } }>('/pipelines/:id/diff', async (req) => {
    const p = await getPipeline(db, req.params.id);
    const q = parseBody(z.object({ app: z.string().min(1) }), req.query);
    const source = await getApp(db, q.app);
    const couplings = await listCouplings(db, p.id);
    const mine = couplings.find((c) => c.app_id === source.id);
    if (!mine) throw fail('invalid_params', `App ${source.name} is not in pipeline ${p.name}.`);
    const next = nextStage(mine.stage as Stage, new Set(couplings.map((c) => c.stage)));
    const commitOf = async (appId: string) => { const r = await currentRelease(db, appId); return r?.slug_id ? (await getSlug(db, r.slug_id).catch(() => null))?.commit ?? null : null; };
    const repos = [...appRepos(ctx.config.dataDir, couplings.map((c) => c.app_id)), mirrorPath(ctx.config.dataDir, p.id)];
    const from = await commitOf(source.id);
    const targets = [];
    for (const c of couplings.filter((x) => x.stage === next)) {
      const to = await commitOf(c.app_id);
      targets.push({ app: { id: c.app_id, name: c.app_name }, stage: c.stage, source_commit: from, target_commit: to, ...(await commitDiff(repos, from, to)) });
    }
    return { app: { id: source.id, name: source.name }, stage: mine.stage, next_stage: next, targets };
  });
}
