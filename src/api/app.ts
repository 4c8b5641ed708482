// The Fastify application: one plugin per resource, auth and error handling around all of them.
import Fastify, { type FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { registerErrorHandling } from './errors.js';
import { registerAuth } from './auth.js';
import { sourceRoutes } from './sources.js';
import { pipelineRoutes } from './pipelines.js';
import { testRunRoutes } from './test-runs.js';
import { streamRoutes } from './streams.js';
import { appRoutes } from './apps.js';
import { formationRoutes } from './formation.js';
import { gitRoutes } from './git.js';
import { addonRoutes } from './addons.js';
import { pipelineFlowRoutes } from './pipeline-flow.js';
import { dashboardRoutes } from '../web/routes.js';
import { githubHookRoutes } from './github-hooks.js';
import { reviewAppRoutes } from './review-apps.js';
import { registerHerokuProtocol } from './heroku/protocol.js';
import { herokuCompatRoutes } from './heroku/routes.js';
import { spaceRoutes } from './spaces.js';
import { agentAdminRoutes } from './agents.js';
import { agentRoutes } from './agent/routes.js';

export async function buildApi(ctx: AppContext, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger ? { level: 'warn' } : false, bodyLimit: 1024 * 1024, forceCloseConnections: true });
  registerErrorHandling(app);
  registerAuth(app, ctx);
  registerHerokuProtocol(app);
  app.get('/health', async () => ({ status: 'ok', sandbox: ctx.sandbox.mode }));
  await app.register(async (a) => sourceRoutes(a, ctx));
  await app.register(async (a) => pipelineRoutes(a, ctx));
  await app.register(async (a) => testRunRoutes(a, ctx));
  await app.register(async (a) => streamRoutes(a, ctx));
  await app.register(async (a) => appRoutes(a, ctx));
  await app.register(async (a) => formationRoutes(a, ctx));
  await app.register(async (a) => gitRoutes(a, ctx));
  await app.register(async (a) => addonRoutes(a, ctx));
  await app.register(async (a) => pipelineFlowRoutes(a, ctx));
  await app.register(async (a) => dashboardRoutes(a, ctx));
  await app.register(async (a) => githubHookRoutes(a, ctx));
  await app.register(async (a) => reviewAppRoutes(a, ctx));
  await app.register(async (a) => herokuCompatRoutes(a, ctx));
  await app.register(async (a) => spaceRoutes(a, ctx));
  await app.register(async (a) => agentAdminRoutes(a, ctx));
  await app.register(async (a) => agentRoutes(a, ctx));
  return app;
}
