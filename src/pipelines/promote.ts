// Promotion: the source app's current slug becomes a new release of every target app, with the
// target's own config vars and its own release phase. Nothing is rebuilt.
import { getApp, getConfigVars, type App } from '../store/apps.js';
import { createRelease, currentRelease, type Release } from '../store/releases.js';
import { couplingOfApp, listCouplings } from '../store/couplings.js';
import { createPromotion, listTargets, setTargetRelease, settleTarget, type Promotion } from '../store/promotions.js';
import { addPipelineEvent } from '../store/pipeline-events.js';
import type { Pipeline } from '../store/pipelines.js';
import { startRelease } from '../releases/deploy.js';
import { fail } from '../core/errors.js';
import { isStage, nextStage } from './stages.js';
import type { AppContext } from '../app-context.js';

export interface PromoteRequest { pipeline: Pipeline; source: App; targets?: App[]; actor: string | null; reason?: string }

/** Which apps a promotion from `source` reaches: the named ones, or every app of the next stage. */
export async function promotionTargets(ctx: AppContext, pipeline: Pipeline, source: App, named?: App[]): Promise<App[]> {
  const couplings = await listCouplings(ctx.store.db, pipeline.id);
  const mine = couplings.find((c) => c.app_id === source.id);
  if (!mine) throw fail('invalid_params', `App ${source.name} is not in pipeline ${pipeline.name}. Add it with \`slipway pipelines:add ${pipeline.name} -a ${source.name}\`.`);
  if (named?.length) {
    for (const t of named) {
      if (t.id === source.id) throw fail('invalid_params', `An app cannot be promoted to itself (${t.name}).`);
      if (!couplings.some((c) => c.app_id === t.id)) throw fail('invalid_params', `App ${t.name} is not in pipeline ${pipeline.name}; promotion targets must be in the same pipeline.`);
    }
    return named;
  }
  const stage = isStage(mine.stage) ? nextStage(mine.stage, new Set(couplings.map((c) => c.stage))) : null;
  if (!stage) throw fail('invalid_params', `Nothing to promote ${source.name} to: no app is in a stage after ${mine.stage} in pipeline ${pipeline.name}.`);
  return Promise.all(couplings.filter((c) => c.stage === stage).map((c) => getApp(ctx.store.db, c.app_id)));
}

export async function promote(ctx: AppContext, req: PromoteRequest): Promise<Promotion> {
  const db = ctx.store.db;
  const coupling = await couplingOfApp(db, req.source.id);
  if (!coupling || coupling.pipeline_id !== req.pipeline.id) throw fail('invalid_params', `App ${req.source.name} is not in pipeline ${req.pipeline.name}.`);
  const release = await currentRelease(db, req.source.id);
  if (!release?.slug_id) throw fail('invalid_state', `App ${req.source.name} has no build to promote yet. Deploy it first (git push or \`slipway builds:create -a ${req.source.name}\`).`);
  const targets = await promotionTargets(ctx, req.pipeline, req.source, req.targets);
  const promotion = await createPromotion(db, { pipelineId: req.pipeline.id, sourceAppId: req.source.id, sourceReleaseId: release.id, slugId: release.slug_id, actor: req.actor, targetAppIds: targets.map((t) => t.id) });
  await addPipelineEvent(db, req.pipeline.id, 'promotion', `${req.reason ?? 'Promoted'}: ${req.source.name} v${release.version} → ${targets.map((t) => t.name).join(', ')}`);
  const started: Array<{ targetId: string; app: App; release: Release }> = [];
  for (const t of await listTargets(db, promotion.id)) {
    const app = targets.find((a) => a.id === t.app_id)!;
    const r = await createRelease(db, { appId: app.id, slugId: release.slug_id, config: await getConfigVars(db, app.id), description: `Promote ${req.source.name} v${release.version}`, user: req.actor });
    await setTargetRelease(db, t.id, r.id);
    started.push({ targetId: t.id, app, release: r });
  }
  // Release phases and dyno swaps take their time; the promotion answers `pending` at once.
  for (const s of started) {
    startRelease(ctx, s.app, s.release).catch(async (e) => {
      ctx.log.error(`promoting to ${s.app.name}: ${(e as Error).stack}`);
      await settleTarget(db, s.targetId, false, (e as Error).message).catch(() => {});
    });
  }
  return promotion;
}
