// A durable job queue in the state store: enqueue, claim with a lease, heartbeat, finish, recover.
// One module so that every status change of a job is visible in one place.
import type { ExpressionBuilder, Kysely } from 'kysely';
import type { Database, JobsTable } from '../store/schema.js';
import type { Dialect } from '../store/db.js';
import { newId } from '../core/ids.js';
import { now } from '../store/db.js';
import { dbTimeIn } from '../store/db-clock.js';
import { jobsCancelled, jobsQueued } from '../core/wakeup.js';

export type Job = Omit<JobsTable, 'attempts' | 'cancel_requested'> & { attempts: number; cancel_requested: number };
export interface Queue { db: Kysely<Database>; dialect: Dialect }

// Due times and lease ends come from the database's clock (store/db-clock), never this process's.
const at = (q: Queue, ms = 0) => dbTimeIn(q.dialect, ms);

// Jobs are claimed oldest first; jobs enqueued in the same millisecond must not tie (FIFO).
let lastEnqueueMs = 0;
const enqueueTime = (): string => {
  lastEnqueueMs = Math.max(Date.now(), lastEnqueueMs + 1);
  return new Date(lastEnqueueMs).toISOString();
};

/** How long a failed job waits before its next attempt (`attempts` made so far): 2 s, 4 s … up to 60 s. */
export const retryBackoffMs = (attempts: number): number => Math.min(60_000, 1000 * 2 ** attempts);

/** Thrown by a job's handler when trying again later may work: the job is requeued with back-off while it has attempts left. */
export class RetryLater extends Error {}

/**
 * Add a job; a `key` makes enqueueing idempotent: one insert that does nothing when the key exists
 * (safe when two callers race), then the job under that key is returned, whoever inserted it.
 */
export async function enqueue(q: Queue, kind: string, payload: unknown, opts: { key?: string; maxAttempts?: number; delayMs?: number; agentId?: string } = {}): Promise<Job> {
  const row = {
    id: newId(), kind, key: opts.key ?? null, agent_id: opts.agentId ?? null, payload: JSON.stringify(payload), status: 'queued', max_attempts: opts.maxAttempts ?? 1,
    run_after: at(q, opts.delayMs ?? 0), lease_owner: null, lease_expires_at: null, last_error: null, created_at: enqueueTime(), updated_at: now(),
  };
  if (!opts.key) {
    const job = await q.db.insertInto('jobs').values(row).returningAll().executeTakeFirstOrThrow();
    if (!opts.delayMs) jobsQueued.notify();
    return job;
  }
  await q.db.insertInto('jobs').values(row).onConflict((oc) => oc.column('key').doNothing()).execute();
  if (!opts.delayMs) jobsQueued.notify();
  return q.db.selectFrom('jobs').selectAll().where('key', '=', opts.key).executeTakeFirstOrThrow();
}

/** What is left of a finished job's payload: its secrets and bulk go, the row (and its key) stays for idempotency. */
const PURGED = '{}';

/**
 * Take the oldest runnable job of these kinds (with a key of `keyPrefix`, when given) and lease it to
 * `owner` for `leaseMs`; jobs placed on an agent (enqueue's `agentId`) only when `agentId` names it.
 */
export async function claim(q: Queue, kinds: string[], owner: string, leaseMs: number, keyPrefix?: string, agentId?: string): Promise<Job | undefined> {
  return q.db.transaction().execute(async (trx) => {
    let sel = trx.selectFrom('jobs').select('id').where('status', '=', 'queued').where('kind', 'in', kinds)
      .where('run_after', '<=', at(q)).orderBy('created_at').orderBy('id').limit(1);
    // A prefix that is a key's start, matched as text (LIKE would read its _ and % as patterns).
    if (keyPrefix) sel = sel.where((eb) => eb(eb.fn('substr', ['key', eb.val(1), eb.val(keyPrefix.length)]), '=', keyPrefix));
    sel = agentId ? sel.where('agent_id', '=', agentId) : sel.where('agent_id', 'is', null);
    if (q.dialect === 'postgres') sel = sel.forUpdate().skipLocked();
    const next = await sel.executeTakeFirst();
    if (!next) return undefined;
    const r = await trx.updateTable('jobs')
      .set((eb) => ({ status: 'running', lease_owner: owner, lease_expires_at: at(q, leaseMs), attempts: eb('attempts', '+', 1), updated_at: now() }))
      .where('id', '=', next.id).where('status', '=', 'queued').returningAll().executeTakeFirst();
    return r;
  });
}

/** Extend the lease. Tells the runner whether to stop: cancel asked for, or the lease is no longer its own. */
export async function heartbeat(q: Queue, jobId: string, owner: string, leaseMs: number): Promise<{ cancel: boolean; lost: boolean }> {
  const r = await q.db.updateTable('jobs').set({ lease_expires_at: at(q, leaseMs), updated_at: now() })
    .where('id', '=', jobId).where('lease_owner', '=', owner).where('status', '=', 'running')
    .returning(['cancel_requested']).executeTakeFirst();
  if (!r) return { cancel: false, lost: true };
  return { cancel: Number(r.cancel_requested) === 1, lost: false };
}

/** Finish a job the owner holds; a failure with attempts left is requeued with exponential back-off. */
export async function finish(q: Queue, job: Pick<Job, 'id'>, owner: string, outcome: { ok: true } | { ok: false; error: string; retry?: boolean }): Promise<void> {
  const row = await q.db.selectFrom('jobs').select(['attempts', 'max_attempts', 'cancel_requested']).where('id', '=', job.id).executeTakeFirst();
  if (!row) return;
  const base = q.db.updateTable('jobs').where('id', '=', job.id).where('lease_owner', '=', owner);
  if (outcome.ok) {
    await base.set({ status: Number(row.cancel_requested) ? 'cancelled' : 'succeeded', payload: PURGED, lease_owner: null, lease_expires_at: null, updated_at: now() }).execute();
  } else if (outcome.retry && Number(row.attempts) < Number(row.max_attempts) && !Number(row.cancel_requested)) {
    await base.set({ status: 'queued', lease_owner: null, lease_expires_at: null, run_after: at(q, retryBackoffMs(Number(row.attempts))), last_error: outcome.error, updated_at: now() }).execute();
  } else {
    await base.set({ status: 'failed', payload: PURGED, lease_owner: null, lease_expires_at: null, last_error: outcome.error, updated_at: now() }).execute();
  }
}

/** Ask for a job to stop: a queued job is cancelled at once, a running one is told at its next heartbeat (an agent's at once: its cancel watch). */
export async function requestCancel(q: Queue, key: string): Promise<'cancelled' | 'signalled' | 'none'> {
  const job = await q.db.selectFrom('jobs').select(['id', 'status']).where('key', '=', key).executeTakeFirst();
  if (!job) return 'none';
  if (job.status === 'queued') {
    await q.db.updateTable('jobs').set({ status: 'cancelled', cancel_requested: 1, payload: PURGED, updated_at: now() }).where('id', '=', job.id).where('status', '=', 'queued').execute();
    return 'cancelled';
  }
  if (job.status === 'running') {
    await q.db.updateTable('jobs').set({ cancel_requested: 1, updated_at: now() }).where('id', '=', job.id).execute();
    jobsCancelled.notify();
    return 'signalled';
  }
  return 'none';
}

/**
 * A new process of a runner takes over jobs of `kinds` its earlier processes (`heldByPrefix`) hold,
 * whose leases have not run out (a job whose lease ran out is lost, whether or not recovery has taken
 * it yet): the ids it got.
 */
export async function takeOver(q: Queue, ids: readonly string[], kinds: readonly string[], owner: string, heldByPrefix: string, leaseMs: number): Promise<string[]> {
  const taken: string[] = [];
  for (const id of ids) {
    const r = await q.db.updateTable('jobs').set({ lease_owner: owner, lease_expires_at: at(q, leaseMs), updated_at: now() })
      .where('id', '=', id).where('status', '=', 'running').where('kind', 'in', kinds).where('lease_owner', 'like', `${heldByPrefix}%`)
      .where('lease_expires_at', '>=', at(q)).returning('id').executeTakeFirst();
    if (r) taken.push(r.id);
  }
  return taken;
}

/**
 * Jobs whose runner stopped renewing its lease (crashed server or runner). Each is taken over by
 * `owner` so that exactly one recoverer handles it; the caller cleans up and then calls `finish`.
 */
export async function takeExpired(q: Queue, owner: string, leaseMs: number, opts: { heldByPrefix?: string } = {}): Promise<Job[]> {
  // A job held by an earlier instance of this same runner (the prefix) is lost even if its lease has not run out yet.
  const lost = (eb: ExpressionBuilder<Database, 'jobs'>) => {
    const expired = eb('lease_expires_at', '<', at(q));
    return opts.heldByPrefix ? eb.or([expired, eb.and([eb('lease_owner', 'like', `${opts.heldByPrefix}%`), eb('lease_owner', '!=', owner)])]) : expired;
  };
  const candidates = await q.db.selectFrom('jobs').select('id').where('status', '=', 'running').where(lost).execute();
  const taken: Job[] = [];
  for (const { id } of candidates) {
    const r = await q.db.updateTable('jobs').set({ lease_owner: owner, lease_expires_at: at(q, leaseMs), updated_at: now() })
      .where('id', '=', id).where('status', '=', 'running').where(lost).returningAll().executeTakeFirst();
    if (r) taken.push(r);
  }
  return taken;
}
