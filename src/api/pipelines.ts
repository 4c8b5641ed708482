import type { FastifyInstance } from 'fastify';
import { z } from 'zod/v3';
import { createPipeline, deletePipeline, getPipeline, updatePipeline } from '../store/pipelines.js';
import { getStageConfig, patchStageConfig } from '../store/stage-config-vars.js';
import type { AppContext } from '../app-context.js';
import { parseBody, refuseBadKeys } from './errors.js';
import { fail } from '../core/errors.js';
import { getSpace } from '../store/spaces.js';
import { pipelineJson } from './shapes.js';
import { checkCloneUrlShape } from '../integrations/clone-url.js';
import { GIT_HOSTS, gitHostOf } from '../integrations/git-hosts.js';
import { STAGES as PIPELINE_STAGES } from '../pipelines/stages.js';
import { visiblePipelines } from './visible.js';
import { claimOwnership } from './ownership.js';

const NAME = z.string().regex(/^[a-z][a-z0-9-]{1,29}$/, 'pipeline names start with a lowercase letter and use lowercase letters, digits and dashes (2–30 characters)');
const STAGES = ['test', ...PIPELINE_STAGES] as const;

export async function pipelineRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  app.post('/pipelines', async (req, reply) => {
    const body = parseBody(z.object({ name: NAME }).passthrough(), req.body);
    const p = await createPipeline(db, body.name);
    await claimOwnership(db, 'pipelines', p.id, req);
    return reply.status(201).send(pipelineJson(p));
  });
  // `?eq[name]=x` is how the heroku CLI looks a pipeline up by name.
  app.get<{ Querystring: Record<string, string | undefined> }>('/pipelines', async (req) => {
    const name = req.query['eq[name]'];
    return (await visiblePipelines(db, req)).filter((p) => name === undefined || p.name === name).map(pipelineJson);
  });
  app.get<{ Params: { id: string } }>('/pipelines/:id', async (req) => pipelineJson(await getPipeline(db, req.params.id)));
  const flag = z.boolean().transform((v) => (v ? 1 : 0));
  const patchBody = z.object({
    name: NAME.optional(),
    ci_timeout_seconds: z.number().int().min(1).max(7 * 86_400).nullable().optional(),
    deploy_branch: z.string().min(1).max(255).regex(/^[^\s~^:?*[\\]+$/, 'a git branch name').optional(),
    auto_deploy: flag.optional(), wait_for_ci: flag.optional(), auto_promote: flag.optional(), ci_enabled: flag.optional(),
    acceptance_command: z.string().min(1).max(4096).nullable().optional(),
    ci_branches: z.string().max(1024).nullable().optional(),
    // GitLab projects may sit in subgroups (group/subgroup/project).
    repo: z.string().max(255).regex(/^[\w.-]+(\/[\w.-]+){1,8}$/, 'OWNER/REPO (GitLab: GROUP/SUBGROUP/PROJECT)').nullable().optional(),
    repo_provider: z.enum(GIT_HOSTS).nullable().optional(),
    repo_clone_url: z.string().min(1).max(2048).superRefine((v, c) => { const r = checkCloneUrlShape(v); if (!r.ok) c.addIssue({ code: 'custom', message: r.message }); }).nullable().optional(),
    webhook_secret: z.string().min(8, 'webhook secrets are at least 8 characters').nullable().optional(),
    status_token: z.string().min(1).nullable().optional(),
    status_api_url: z.string().url().nullable().optional(),
    review_apps: flag.optional(), review_autodeploy: flag.optional(), review_autodestroy: flag.optional(),
    review_stale_days: z.number().int().min(1, 'stale days are 1 to 30').max(30, 'stale days are 1 to 30').optional(),
    ci_space: z.string().min(1).nullable().optional(),
  }).strict();
  app.patch<{ Params: { id: string } }>('/pipelines/:id', async (req) => {
    const p = await getPipeline(db, req.params.id);
    const { ci_space, ...body } = parseBody(patchBody, req.body);
    const after = { ...p, ...body };
    if (after.repo && after.status_token && !after.status_api_url && !gitHostOf(after).defaultApi) {
      throw fail('invalid_params', `${gitHostOf(after).title} has no public API to send commit statuses to: give --status-api-url https://HOST/api/v1 with --status-token.`);
    }
    // Test runs inside a private space (by name or id; null runs them on the host again).
    const space = ci_space === undefined ? {} : { ci_space_id: ci_space === null ? null : (await getSpace(db, ci_space)).id };
    await updatePipeline(db, p.id, { ...body, ...space });
    return pipelineJson(await getPipeline(db, p.id));
  });
  app.delete<{ Params: { id: string } }>('/pipelines/:id', async (req) => {
    const p = await getPipeline(db, req.params.id);
    await deletePipeline(db, p.id);
    return pipelineJson(p);
  });

  const stage = z.enum(STAGES);
  app.get<{ Params: { id: string; stage: string } }>('/pipelines/:id/stage/:stage/config-vars', async (req) => {
    const p = await getPipeline(db, req.params.id);
    return getStageConfig(db, p.id, parseBody(stage, req.params.stage));
  });
  app.patch<{ Params: { id: string; stage: string } }>('/pipelines/:id/stage/:stage/config-vars', async (req) => {
    const p = await getPipeline(db, req.params.id);
    refuseBadKeys(req.body);
    const vars = parseBody(z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'config var names are letters, digits and _'), z.string().nullable()), req.body);
    return patchStageConfig(db, p.id, parseBody(stage, req.params.stage), vars);
  });
}
