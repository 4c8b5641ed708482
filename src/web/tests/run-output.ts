// A node's setup or test output for the run page: earlier windows by byte offset, and the live tail.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import type { Pipeline } from '../../store/pipelines.js';
import { getTestNode, type TestRun } from '../../store/test-runs.js';
import { logKey } from '../../ci/node-events.js';
import { stepStarted } from '../../api/streams.js';
import { fail } from '../../core/errors.js';
import { logWindow } from '../output/log-window.js';
import { sendLive } from '../output/live.js';

type Find = (id: string, number: string) => Promise<{ p: Pipeline; run: TestRun }>;
interface Params { id: string; number: string; idx: string; stream: string }

export async function runOutputRoutes(app: FastifyInstance, ctx: AppContext, find: Find): Promise<void> {
  const node = async (params: Params) => {
    const { run } = await find(params.id, params.number);
    if (params.stream !== 'setup' && params.stream !== 'test') throw fail('not_found', 'Output streams are "setup" and "test".');
    const n = await getTestNode(ctx.store.db, run.id, Number(params.idx));
    return { run, n, stream: params.stream as 'setup' | 'test', key: logKey(run.id, n.idx, params.stream) };
  };

  app.get<{ Params: Params; Querystring: { before?: string } }>('/pipelines/:id/tests/:number/nodes/:idx/:stream/earlier', { config: { web: 'data' } }, async (req) => {
    const { key } = await node(req.params);
    const before = Number(req.query.before);
    if (!Number.isInteger(before) || before < 0) throw fail('invalid_params', 'before must be a byte offset (a whole number ≥ 0).');
    return logWindow(ctx.logs, key, before);
  });

  app.get<{ Params: Params; Querystring: { from?: string } }>('/pipelines/:id/tests/:number/nodes/:idx/:stream/live', { config: { web: 'data' } }, async (req, reply) => {
    const { run, n, stream, key } = await node(req.params);
    await sendLive(ctx.logs, key, req, reply, { ready: async (signal) => { await stepStarted(ctx, run.id, n.idx, stream, signal); return !signal.aborted; } });
  });
}
