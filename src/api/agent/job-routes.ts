// The agent protocol's job routes: ordered event batches (a retried batch is recorded once), the
// source and slug downloads, the build's slug upload, and finish (what follows the job runs here).
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Transform } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { finish, type Job } from '../../jobs/queue.js';
import { KeyedSerial } from '../../jobs/keyed-serial.js';
import { fail } from '../../core/errors.js';
import { lastBatch, markBatch } from '../../store/agents.js';
import { jobRecorder } from '../../runner/job-records.js';
import { fetchSourceTo } from '../../git/fetch-source.js';
import { slugFile } from '../../releases/slugs.js';
import { RELEASE_JOB, type ReleaseJob } from '../../releases/jobs.js';
import { ONE_OFF_JOB } from '../../runtime/one-off-job.js';
import { fromWire, type EventBatchResponse } from '../../agent/protocol.js';
import { parseBody } from '../errors.js';
import { agentOf } from './agent-auth.js';
import { eventBatchSchema, finishSchema } from './wire-schema.js';

/** The job if this agent process holds its lease; else 409 agent_lease_lost (stop running it). */
export async function heldJob(ctx: AppContext, req: FastifyRequest<{ Params: { id: string } }>): Promise<Job> {
  const job = await ctx.store.db.selectFrom('jobs').selectAll().where('id', '=', req.params.id).executeTakeFirst();
  if (!job || job.status !== 'running' || job.lease_owner !== agentOf(req).owner) throw fail('agent_lease_lost', `This agent process does not hold job ${req.params.id} (its lease ran out, it was taken over as lost, or it never held it); stop running it.`);
  return job;
}

export async function agentJobRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const db = ctx.store.db;
  const uploads = path.join(ctx.config.dataDir, 'agent-uploads');
  fs.mkdirSync(uploads, { recursive: true, mode: 0o700 });
  const uploadedSlug = (jobId: string) => path.join(uploads, `${jobId}.slug.tgz`);
  const batches = new KeyedSerial();
  app.addContentTypeParser('application/octet-stream', (_req, payload, done) => done(null, payload));

  app.post<{ Params: { id: string } }>('/agent/v1/jobs/:id/events', { bodyLimit: 16 * 1024 * 1024 }, async (req): Promise<EventBatchResponse> => {
    const job = await heldJob(ctx, req);
    const batch = parseBody(eventBatchSchema, req.body);
    return batches.run(job.id, async () => {
      const last = await lastBatch(db, job.id);
      if (batch.seq <= last) return { seq: batch.seq, duplicate: true };
      if (batch.seq !== last + 1) throw fail('agent_event_out_of_order', `Batch ${batch.seq} of job ${job.id} arrived, but the last recorded is ${last}; send batch ${last + 1} first.`);
      const rec = jobRecorder(ctx, job);
      for (const w of batch.events) {
        const e = fromWire(w, () => uploadedSlug(job.id));
        await rec.record(e).catch((err: Error) => ctx.log.error(`${job.kind} ${job.id} (agent ${agentOf(req).name}): recording ${e.type}: ${err.stack ?? err.message}`));
      }
      await markBatch(db, job.id, batch.seq);
      return { seq: batch.seq, duplicate: false };
    });
  });

  app.get<{ Params: { id: string } }>('/agent/v1/jobs/:id/source', async (req, reply) => {
    const job = await heldJob(ctx, req);
    const url = (JSON.parse(job.payload) as { sourceBlobUrl?: string }).sourceBlobUrl;
    if (!url) throw fail('source_not_found', `Job ${job.id} (${job.kind}) has no source.`);
    // Through the server's own fetch (a blob of ours, or the client's URL, within the limits), then streamed to the agent.
    const tmp = path.join(uploads, `${job.id}.source-${randomBytes(4).toString('hex')}.tgz`);
    try { await fetchSourceTo(ctx.blobs, url, tmp, ctx.config.inputLimits); } catch (e) { fs.rmSync(tmp, { force: true }); throw fail('source_not_found', (e as Error).message); }
    const stream = fs.createReadStream(tmp);
    stream.once('close', () => fs.rmSync(tmp, { force: true }));
    return reply.type('application/gzip').send(stream);
  });

  app.get<{ Params: { id: string } }>('/agent/v1/jobs/:id/slug', async (req, reply) => {
    const job = await heldJob(ctx, req);
    if (job.kind !== RELEASE_JOB && job.kind !== ONE_OFF_JOB) throw fail('invalid_state', `Job ${job.id} is a ${job.kind}; only release phases and one-off dynos download a slug.`);
    // From the blob store (this replica's copy of it), wherever the slug was built.
    const file = await slugFile(ctx.blobs, (JSON.parse(job.payload) as ReleaseJob).slugId).catch(() => undefined);
    if (!file || !fs.existsSync(file)) throw fail('not_found', `The slug of job ${job.id} is not in the blob store.`);
    return reply.type('application/gzip').send(fs.createReadStream(file));
  });

  // A build's slug, before its end event (which names no file: the server uses this upload).
  app.put<{ Params: { id: string } }>('/agent/v1/jobs/:id/slug', async (req) => {
    const job = await heldJob(ctx, req);
    const max = ctx.config.inputLimits.slugBytes;
    let size = 0;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        cb(size > max ? fail('payload_too_large', `The slug is larger than ${Math.round(max / 1024 / 1024)} MB (SLIPWAY_MAX_SLUG_MB).`) : null, chunk);
      },
    });
    try { await pipeline(req.body as Readable, meter, fs.createWriteStream(uploadedSlug(job.id), { mode: 0o600 })); } catch (e) { fs.rmSync(uploadedSlug(job.id), { force: true }); throw e; }
    return { size };
  });

  app.post<{ Params: { id: string } }>('/agent/v1/jobs/:id/finish', async (req) => {
    const job = await heldJob(ctx, req);
    const f = parseBody(finishSchema, req.body);
    // After the last batch is recorded (a batch still being recorded finishes first).
    await batches.run(job.id, async () => {
      await jobRecorder(ctx, job).after().catch((e: Error) => ctx.log.error(`after ${job.kind} ${job.id}: ${e.message}`));
      await finish(ctx.queue, job, agentOf(req).owner, f.ok ? { ok: true } : { ok: false, error: f.error ?? 'the agent reported a failure' });
      await db.deleteFrom('agent_event_batches').where('job_id', '=', job.id).execute();
      fs.rmSync(uploadedSlug(job.id), { force: true });
    });
    return { ok: true };
  });
}
