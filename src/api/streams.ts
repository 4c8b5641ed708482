// Output streams: plain HTTP responses that replay what is stored and follow live output until the
// step ends (Heroku's setup_stream_url / output_stream_url).
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { getTestNode, getTestRun } from '../store/test-runs.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';
import { logKey } from '../ci/node-events.js';
import { fail } from '../core/errors.js';
import type { AppContext } from '../app-context.js';

export async function streamRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const route = (suffix: string, stream: 'setup' | 'test') =>
    app.get<{ Params: { id: string; idx: string } }>(`/test-runs/:id/test-nodes/:idx/${suffix}`, async (req, reply) => {
      const run = await getTestRun(ctx.store.db, req.params.id);
      const idx = Number(req.params.idx);
      if (!Number.isInteger(idx)) throw fail('test_node_not_found');
      await getTestNode(ctx.store.db, run.id, idx);
      const key = logKey(run.id, idx, stream);
      const ac = new AbortController();
      req.raw.on('close', () => ac.abort());
      async function* body() {
        // Before the step starts there is nothing to follow yet: wait for it, or for the node to end.
        while (!ctx.logs.isLive(key) && !ac.signal.aborted) {
          const node = await getTestNode(ctx.store.db, run.id, idx);
          if (ctx.logs.isLive(key) || isTerminal(node.status as TestStatus) || (stream === 'setup' && node.status !== 'pending' && ctx.logs.exists(key))
            || (stream === 'test' && node.status === 'running' && ctx.logs.exists(key))) break;
          await new Promise((r) => setTimeout(r, 150));
        }
        yield* ctx.logs.follow(key, 0, ac.signal);
      }
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').header('x-accel-buffering', 'no').send(Readable.from(body()));
    });
  route('setup-output', 'setup');
  route('output', 'test');
}
