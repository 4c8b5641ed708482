// The Fastify application: one plugin per resource, auth and error handling around all of them.
import Fastify, { type FastifyInstance } from 'fastify';
import { noSchemaCompilers } from './schema-compilers.js';
import type { AppContext } from '../app-context.js';
import { registerErrorHandling } from './errors.js';
import { registerAuth } from './auth.js';
import { registerAccessGuard } from './access-guard.js';
import { sourceRoutes } from './sources.js';
import { pipelineRoutes } from './pipelines.js';
import { testRunRoutes } from './test-runs.js';
import { streamRoutes } from './streams.js';
import { appRoutes } from './apps.js';
import { oneOffRoutes } from './one-off-routes.js';
import { formationRoutes } from './formation.js';
import { gitRoutes } from './git.js';
import { addonRoutes } from './addons.js';
import { pipelineFlowRoutes } from './pipeline-flow.js';
import { dashboardRoutes } from '../web/routes.js';
import { gitHostHookRoutes } from './git-host-hooks.js';
import { appWebhookRoutes } from './app-webhooks.js';
import { domainRoutes } from './domains.js';
import { reviewAppRoutes } from './review-apps.js';
import { registerHerokuProtocol } from './heroku/protocol.js';
import { herokuCompatRoutes } from './heroku/routes.js';
import { spaceRoutes } from './spaces.js';
import { drainRoutes } from './heroku/drains.js';
import { dataApiRoutes } from './heroku/data-api.js';
import { buildpackRoutes } from './heroku/buildpacks.js';
import { agentAdminRoutes } from './agents.js';
import { agentRoutes } from './agent/routes.js';
import { metricsRoutes } from './metrics.js';
import { accessRoutes } from './access-routes.js';
import { auditRoutes, registerAuditLog } from './audit.js';
import { secretKeyRoutes } from './secret-key.js';
import { routerAdminRoutes } from './routers.js';
import { routerRoutes } from './router/router-routes.js';

export async function buildApi(ctx: AppContext, opts: { logger?: boolean } = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ? { level: 'warn' } : false, bodyLimit: 1024 * 1024, forceCloseConnections: true,
    schemaController: { compilersFactory: noSchemaCompilers },
  });
  registerErrorHandling(app);
  registerAuth(app, ctx);
  registerAccessGuard(app, ctx.store.db);
  registerAuditLog(app, ctx);
  registerHerokuProtocol(app);
  app.get('/health', async () => ({ status: 'ok', sandbox: ctx.sandbox.mode, leader: ctx.leader.isLeader() }));
  await app.register(async (a) => sourceRoutes(a, ctx));
  await app.register(async (a) => pipelineRoutes(a, ctx));
  await app.register(async (a) => testRunRoutes(a, ctx));
  await app.register(async (a) => streamRoutes(a, ctx));
  await app.register(async (a) => appRoutes(a, ctx));
  await app.register(async (a) => oneOffRoutes(a, ctx));
  await app.register(async (a) => formationRoutes(a, ctx));
  await app.register(async (a) => gitRoutes(a, ctx));
  await app.register(async (a) => addonRoutes(a, ctx));
  await app.register(async (a) => pipelineFlowRoutes(a, ctx));
  await app.register(async (a) => dashboardRoutes(a, ctx));
  await app.register(async (a) => gitHostHookRoutes(a, ctx));
  await app.register(async (a) => reviewAppRoutes(a, ctx));
  await app.register(async (a) => herokuCompatRoutes(a, ctx));
  await app.register(async (a) => spaceRoutes(a, ctx));
  await app.register(async (a) => appWebhookRoutes(a, ctx));
  await app.register(async (a) => domainRoutes(a, ctx));
  await app.register(async (a) => drainRoutes(a, ctx));
  await app.register(async (a) => dataApiRoutes(a, ctx));
  await app.register(async (a) => buildpackRoutes(a, ctx));
  await app.register(async (a) => agentAdminRoutes(a, ctx));
  await app.register(async (a) => agentRoutes(a, ctx));
  await app.register(async (a) => metricsRoutes(a, ctx));
  await app.register(async (a) => accessRoutes(a, ctx.store.db));
  await app.register(async (a) => auditRoutes(a, ctx));
  await app.register(async (a) => secretKeyRoutes(a, ctx));
  await app.register(async (a) => routerAdminRoutes(a, ctx));
  await app.register(async (a) => routerRoutes(a, ctx));
  return app;
}
