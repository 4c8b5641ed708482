// Output streams: plain HTTP responses that replay what is stored and follow live output until the
// step ends (Heroku's setup_stream_url / output_stream_url).
import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import { getTestNode, getTestRun } from '../store/test-runs.js';
import { isTerminal, type TestStatus } from '../core/test-run-status.js';
import { logKey } from '../ci/node-events.js';
import { fail } from '../core/errors.js';
import { testRunsChanged } from '../core/wakeup.js';
import type { AppContext } from '../app-context.js';

/** Wait until a node's setup or test stream has begun (or the node ended): before that there is nothing to follow. */
export async function stepStarted(ctx: AppContext, runId: string, idx: number, stream: 'setup' | 'test', signal: AbortSignal): Promise<void> {
  const key = logKey(runId, idx, stream);
  while (!ctx.logs.isLive(key) && !signal.aborted) {
    // Woken by the node's status change in this process (its step's log opens just before); another replica's is seen at the next look.
    const changed = testRunsChanged.wait(150, signal);
    const node = await getTestNode(ctx.store.db, runId, idx);
    if (ctx.logs.isLive(key) || isTerminal(node.status as TestStatus) || (stream === 'setup' && node.status !== 'pending' && ctx.logs.exists(key))
      || (stream === 'test' && node.status === 'running' && ctx.logs.exists(key))) return;
    await changed;
  }
}

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
        await stepStarted(ctx, run.id, idx, stream, ac.signal);
        yield* ctx.logs.follow(key, 0, ac.signal);
      }
      return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-cache').header('x-accel-buffering', 'no').send(Readable.from(body()));
    });
  route('setup-output', 'setup');
  route('output', 'test');
}
