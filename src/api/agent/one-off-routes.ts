// The input stream of an attached one-off, for the agent that holds its job and no one else: the
// client's bytes as a long-lived response that ends when the client's input does.
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { fail } from '../../core/errors.js';
import { requestCancel } from '../../jobs/queue.js';
import { ONE_OFF_JOB } from '../../runtime/one-off-job.js';
import type { StoredOneOffJob } from '../../releases/agent-one-offs.js';
import { heldJob } from './job-routes.js';

export async function agentOneOffRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get<{ Params: { id: string } }>('/agent/v1/jobs/:id/input', async (req, reply) => {
    const job = await heldJob(ctx, req);
    if (job.kind !== ONE_OFF_JOB) throw fail('invalid_state', `Job ${job.id} is a ${job.kind}; only attached one-off dynos have an input stream.`);
    const p = JSON.parse(job.payload) as StoredOneOffJob;
    if (!p.attach) throw fail('invalid_state', `One-off ${p.name} runs detached; it has no input.`);
    // Not relayed here: this server process started after the client attached, so the client is gone (and, as on Heroku, so is its one-off).
    if (!ctx.oneOffs.relays.has(p.id)) {
      if (job.key) await requestCancel(ctx.queue, job.key);
      throw fail('invalid_state', `The client of ${p.name} is no longer connected (the server restarted); the one-off is stopped.`);
    }
    const input = ctx.oneOffs.relays.forAgent(p.id);
    if (!input) throw fail('conflict', `The input of ${p.name} is being read already.`);
    return reply.type('application/octet-stream').header('cache-control', 'no-cache').send(input);
  });
}
