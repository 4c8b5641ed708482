// The agent protocol, v1 (docs/agent-protocol.md): register, heartbeat, claim a job with a lease,
// renew it (a cancel comes back as the answer). Events, artifacts and finish: job-routes.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../app-context.js';
import { claim, heartbeat, takeOver, type Job } from '../../jobs/queue.js';
import { RELEASE_JOB } from '../../releases/jobs.js';
import { ONE_OFF_JOB } from '../../runtime/one-off-job.js';
import { oneOffKeyPrefix } from '../../releases/agent-one-offs.js';
import { fail } from '../../core/errors.js';
import { agentOwnerPrefix, lastBatch, recordRegistration } from '../../store/agents.js';
import { recoverLostWork } from '../../ci/recover.js';
import { EXECUTED_KINDS } from '../../runner/execute-job.js';
import { PROTOCOL_VERSIONS, type ClaimedJob, type LeaseResponse, type RegisterResponse } from '../../agent/protocol.js';
import { parseBody } from '../errors.js';
import { agentOf, registerAgentAuth } from './agent-auth.js';
import { cancelWatchSchema, claimSchema, registerSchema } from './wire-schema.js';
import { agentJobRoutes } from './job-routes.js';
import { agentOneOffRoutes } from './one-off-routes.js';
import { agentDynoRoutes } from './dyno-routes.js';
import { agentSpaceRoutes } from './space-routes.js';
import { agentAddonRoutes } from './addon-routes.js';
import { runsSpaces } from '../../store/space-fabric.js';
import { withConfig } from '../../runner/job-config.js';
import { jobsCancelled, jobsQueued } from '../../core/wakeup.js';

const POLL_MS = 250;
/**
 * A cancel asked through this server wakes its cancel watches at once (jobsCancelled); one asked on
 * another replica, or a lease recovery took back, is found by looking at the job's row this often.
 * One watch per running job: a look every second, not four.
 */
const CANCEL_LOOK_MS = 1000;

export async function agentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerAgentAuth(app, ctx);
  const db = ctx.store.db;

  app.post('/agent/v1/register', async (req): Promise<RegisterResponse> => {
    const agent = agentOf(req);
    const raw = req.body as { protocol_version?: unknown } | undefined;
    // The version first: a newer agent's other fields may not parse as v1's.
    if (!PROTOCOL_VERSIONS.includes(raw?.protocol_version as 1)) {
      throw fail('agent_protocol_unsupported', `This server speaks agent protocol version ${PROTOCOL_VERSIONS.join(', ')}; the agent said ${JSON.stringify(raw?.protocol_version ?? null)}. Run an agent of the same Slipway release as the server.`);
    }
    const r = parseBody(registerSchema, req.body);
    if (r.name && r.name !== agent.name) throw fail('invalid_params', `This token belongs to agent ${agent.name}, but the agent calls itself ${r.name}; start it with --name ${agent.name} or without --name.`);
    await recordRegistration(db, agent.id, { protocolVersion: r.protocol_version, slots: r.slots, memoryMb: r.memory_mb, address: r.address, hostname: r.hostname, labels: r.labels ?? [] });
    // The detached one-offs an earlier process left running and this one resumes: leased to it, if their
    // leases have not run out (an attached one-off's client went with that process: never resumed).
    const detached = (await db.selectFrom('jobs').select(['id', 'payload']).where('id', 'in', r.resume?.length ? r.resume : [''])
      .where('kind', '=', ONE_OFF_JOB).execute()).filter((j) => !(JSON.parse(j.payload) as { attach?: boolean }).attach).map((j) => j.id);
    const resumed = await Promise.all((await takeOver(ctx.queue, detached, [ONE_OFF_JOB], agent.owner, agentOwnerPrefix(agent.id), ctx.config.leaseMs)).map(async (id) => ({ id, seq: await lastBatch(db, id) })));
    if (resumed.length) ctx.log.info(`agent ${agent.name}: a new process resumes ${resumed.length} one-off(s) its previous one left running`);
    // A new process of this agent: whatever else an earlier one held is lost (it died, or was restarted) and is ended now, not at lease expiry.
    const lost = await recoverLostWork(ctx, agent.owner, agentOwnerPrefix(agent.id));
    if (lost) ctx.log.warn(`agent ${agent.name}: a new process registered; ${lost} job(s) of its previous one ended as runner lost`);
    ctx.log.info(`agent ${agent.name} registered from ${r.hostname}${r.address ? ` (${r.address})` : ''}: ${r.slots} slots, protocol v${r.protocol_version}`);
    const row = await db.selectFrom('agents').select(['labels', 'space_slice']).where('id', '=', agent.id).executeTakeFirstOrThrow();
    return {
      agent_id: agent.id, name: agent.name, protocol_version: r.protocol_version, lease_ms: ctx.config.leaseMs, heartbeat_ms: Math.max(500, Math.floor(ctx.config.leaseMs / 3)), max_event_batch: 5000,
      ...runsSpaces(row) ? { spaces: true } : {},
      ...r.resume ? { resumed } : {},
    };
  });

  app.post('/agent/v1/heartbeat', async () => ({ ok: true, server_time: new Date().toISOString() }));

  // Long poll: the answer comes when a job is leased to this agent, or empty (204) after wait_ms.
  const longPoll = async (req: FastifyRequest, reply: FastifyReply, take: () => Promise<Job | undefined>) => {
    const c = parseBody(claimSchema, req.body);
    const until = Date.now() + (c.wait_ms ?? 0);
    let gone = false;
    req.raw.once('close', () => { gone = true; });
    // A client that hung up takes nothing (else the job would wait for its lease to run out).
    while (!gone) {
      const job = await take();
      if (job) return { id: job.id, kind: job.kind, payload: (await withConfig(ctx.store.db, job)).payload, attempts: job.attempts, lease_ms: ctx.config.leaseMs } satisfies ClaimedJob;
      if (Date.now() + POLL_MS > until) break;
      await jobsQueued.wait(POLL_MS);
    }
    return reply.status(204).send();
  };
  app.post('/agent/v1/jobs/claim', async (req, reply) => {
    const c = parseBody(claimSchema, req.body);
    const kinds = EXECUTED_KINDS.filter((k) => !c.kinds || c.kinds.includes(k));
    return longPoll(req, reply, async () => kinds.length ? claim(ctx.queue, kinds, agentOf(req).owner, ctx.config.leaseMs) : undefined);
  });
  // One-off dynos placed on this agent (and only those), and release phases placed on it (its host
  // runs the app's add-on servers): claimed beside the job slots, as dynos run beside them.
  app.post('/agent/v1/one-offs/claim', async (req, reply) => {
    const { id, owner } = agentOf(req);
    return longPoll(req, reply, async () => await claim(ctx.queue, [ONE_OFF_JOB], owner, ctx.config.leaseMs, oneOffKeyPrefix(id)) ?? claim(ctx.queue, [RELEASE_JOB], owner, ctx.config.leaseMs, undefined, id));
  });

  app.post<{ Params: { id: string } }>('/agent/v1/jobs/:id/lease', async (req): Promise<LeaseResponse> => {
    return heartbeat(ctx.queue, req.params.id, agentOf(req).owner, ctx.config.leaseMs);
  });

  // Long poll: answers once the job this agent process holds is asked to stop (or is no longer its),
  // else {cancel: false} after wait_ms — so ps:stop or a cancelled run reaches the agent at once,
  // not at its next lease renewal.
  app.post<{ Params: { id: string } }>('/agent/v1/jobs/:id/cancel-watch', async (req): Promise<LeaseResponse> => {
    const c = parseBody(cancelWatchSchema, req.body);
    const until = Date.now() + (c.wait_ms ?? 0);
    let gone = false;
    req.raw.once('close', () => { gone = true; });
    for (;;) {
      const job = await ctx.store.db.selectFrom('jobs').select(['status', 'lease_owner', 'cancel_requested']).where('id', '=', req.params.id).executeTakeFirst();
      if (!job || job.status !== 'running' || job.lease_owner !== agentOf(req).owner) return { cancel: false, lost: true };
      if (Number(job.cancel_requested)) return { cancel: true, lost: false };
      if (gone || Date.now() + CANCEL_LOOK_MS > until) return { cancel: false, lost: false };
      await jobsCancelled.wait(CANCEL_LOOK_MS);
    }
  });

  await agentJobRoutes(app, ctx);
  await agentOneOffRoutes(app, ctx);
  await agentDynoRoutes(app, ctx);
  await agentSpaceRoutes(app, ctx);
  await agentAddonRoutes(app, ctx);
}
