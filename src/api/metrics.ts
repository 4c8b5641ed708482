// GET /apps/:app/metrics?range=1h|24h|7d — the app's metrics (requests by status class, response
// time percentiles, memory and CPU per dyno, error codes and restarts) with its releases as markers.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app-context.js';
import { getApp } from '../store/apps.js';
import { fail } from '../core/errors.js';
import { appMetrics } from '../metrics/app-metrics.js';
import { isRange, RANGES } from '../metrics/series.js';

export async function metricsRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Params: { app: string }; Querystring: { range?: string } }>('/apps/:app/metrics', async (req) => {
    const range = req.query.range ?? '1h';
    if (!isRange(range)) throw fail('invalid_params', `range must be one of ${Object.keys(RANGES).join(', ')} (got ${JSON.stringify(range).slice(0, 40)}).`);
    const a = await getApp(ctx.store.db, req.params.app);
    return appMetrics(ctx.store.db, a.id, range);
  });
}
