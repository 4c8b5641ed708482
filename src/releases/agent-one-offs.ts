// The control plane's side of one-off dynos that agents run: the row and the job (with its
// lease) written together, the agent's events turned into the one-off's log, the app's log and
// the row, a stop as a cancel of the job, and the end of one whose agent is lost or never took it.
import { randomBytes } from 'node:crypto';
import type { AppContext } from '../app-context.js';
import type { OneOffDynos } from '../runtime/one-off.js';
import type { Tenants } from '../tenants.js';
import { enqueue, requestCancel, type Job } from '../jobs/queue.js';
import { insertOneOff, liveOneOffs, markOneOffDown, markOneOffUp, nextOneOffName, type OneOffRow } from '../store/one-off-dynos.js';
import { ONE_OFF_JOB, type OneOffEvent, type OneOffJob } from '../runtime/one-off-job.js';
import type { TerminalSize } from '../runtime/one-off-terminal.js';
import { appendAppLog, appendAppLogLines } from './app-log.js';

type Ctx = Pick<AppContext, 'store' | 'queue' | 'logs' | 'log'> & { oneOffs: Pick<OneOffDynos, 'relays'>; tenants: Pick<Tenants, 'forApp'> };

/** The job's key: it names the agent placement chose, and only that agent claims it. */
export const oneOffKeyPrefix = (agentId: string): string => `one-off:${agentId}:`;
const keyOf = (r: Pick<OneOffRow, 'agent_id' | 'id'>) => `${oneOffKeyPrefix(r.agent_id)}${r.id}`;
export const oneOffLogKey = (id: string): string => `dynos/${id}`;

/** What is queued of a one-off job: everything but the release's config vars (filled in at claim). */
export type StoredOneOffJob = Omit<OneOffJob, 'config'>;

/** A job taken by no agent for this long ends the one-off with an error (the agent went after placement). */
const UNCLAIMED_MS = 60_000;

const platform = (ctx: Ctx, r: Pick<OneOffRow, 'app_id' | 'name'>, message: string) => appendAppLog(ctx.logs, r.app_id, `heroku[${r.name}]`, message);

/** Start a one-off on `agentId`: its row and job in one transaction, its log open here, its input relay when attached. */
export async function startOnAgent(ctx: Ctx, agentId: string, o: { appId: string; releaseId: string; slugId: string; command: string; env: Record<string, string>; size: string; attach: boolean; terminal?: TerminalSize }): Promise<OneOffRow> {
  const id = `run-${o.appId.slice(0, 8)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const tenant = await ctx.tenants.forApp(o.appId);
  const row = await ctx.store.db.transaction().execute(async (trx) => {
    const name = await nextOneOffName(trx, o.appId);
    const r = await insertOneOff(trx, { id, app_id: o.appId, name, command: o.command, size: o.size, agent_id: agentId, attach: o.attach ? 1 : 0 });
    const job: StoredOneOffJob = { id, appId: o.appId, name, command: o.command, env: o.env, size: o.size, tenant, terminal: o.terminal, slugId: o.slugId, releaseId: o.releaseId, attach: o.attach };
    await enqueue({ db: trx, dialect: ctx.queue.dialect }, ONE_OFF_JOB, job, { key: keyOf(r) });
    return r;
  });
  ctx.logs.open(oneOffLogKey(id));
  if (o.attach) ctx.oneOffs.relays.open(id, !!o.terminal);
  platform(ctx, row, `Starting process with command \`${o.command}\``);
  return row;
}

/** Stop a running one-off: its agent learns of it at once (its cancel watch); a queued one ends now. */
export async function stopOnAgent(ctx: Ctx, r: OneOffRow): Promise<void> {
  if (await requestCancel(ctx.queue, keyOf(r)) === 'cancelled') await ended(ctx, r, null, 'Stopped before an agent started it.');
}

type AppOneOffs = Ctx & { oneOffs: Pick<OneOffDynos, 'list' | 'stop'> };

/** Stop every one-off of the app (it is being destroyed): this server's at once, agents' through their job's cancel. */
export async function stopAppOneOffs(ctx: AppOneOffs, appId: string): Promise<void> {
  for (const r of ctx.oneOffs.list(appId)) ctx.oneOffs.stop(appId, r.id);
  for (const r of await liveOneOffs(ctx.store.db, appId)) await stopOnAgent(ctx, r);
}

/** Whether a one-off of the app has not ended yet, here or on an agent. */
export async function hasLiveOneOffs(ctx: AppOneOffs, appId: string): Promise<boolean> {
  return ctx.oneOffs.list(appId).length > 0 || (await liveOneOffs(ctx.store.db, appId)).length > 0;
}

/** The one-off is over: the row, the platform's lines, its log closed and its input ended. */
async function ended(ctx: Ctx, r: Pick<OneOffRow, 'id' | 'app_id' | 'name'>, exitCode: number | null, message?: string): Promise<void> {
  const key = oneOffLogKey(r.id);
  if (message) { ctx.logs.ensureOpen(key); ctx.logs.append(key, `${message}\n`); }
  ctx.oneOffs.relays.end(r.id);
  if (!(await markOneOffDown(ctx.store.db, r.id, exitCode))) return;
  platform(ctx, r, exitCode === null ? `Process lost: ${message ?? 'its agent stopped'}` : `Process exited with status ${exitCode}`);
  platform(ctx, r, 'State changed from up to complete');
  if (ctx.logs.isLive(key)) ctx.logs.close(key);
}

/** The recorder of a one-off job's events (in order, as the agent sent them). */
export function oneOffRecorder(ctx: Ctx, p: StoredOneOffJob): { record(e: OneOffEvent): Promise<void>; failed(message: string): Promise<void> } {
  const r = { id: p.id, app_id: p.appId, name: p.name };
  return {
    async record(e) {
      if (e.type === 'output') {
        const key = oneOffLogKey(p.id);
        ctx.logs.ensureOpen(key); // continues the log written before a server restart
        ctx.logs.append(key, e.data);
        // Detached output arrives in whole lines: each is an app[run.N] line of the app's log.
        if (!p.attach) appendAppLogLines(ctx.logs, p.appId, `app[${p.name}]`, e.data.toString().split('\n').slice(0, -1));
        return;
      }
      if (e.type === 'up') { if (await markOneOffUp(ctx.store.db, p.id)) platform(ctx, r, 'State changed from starting to up'); return; }
      await ended(ctx, r, e.exitCode, e.message);
    },
    failed: (message) => ended(ctx, r, 1, message),
  };
}

/** End the one-off of a lost job (its agent died or was revoked); false for other kinds. */
export async function failLostOneOff(ctx: Ctx, job: Pick<Job, 'kind' | 'payload'>): Promise<boolean> {
  if (job.kind !== ONE_OFF_JOB) return false;
  const p = JSON.parse(job.payload) as StoredOneOffJob;
  await ended(ctx, { id: p.id, app_id: p.appId, name: p.name }, null, 'The agent running this one-off dyno was lost (it stopped heartbeating, restarted or was revoked).');
  return true;
}

/** One-offs no agent took in time (their agent went after placement): cancelled, with an error in their output. */
export async function expireUnclaimedOneOffs(ctx: Ctx): Promise<void> {
  const stale = await ctx.store.db.selectFrom('jobs').select(['key', 'payload']).where('kind', '=', ONE_OFF_JOB).where('status', '=', 'queued')
    .where('created_at', '<', new Date(Date.now() - UNCLAIMED_MS).toISOString()).execute();
  for (const j of stale) {
    if (!j.key || await requestCancel(ctx.queue, j.key) !== 'cancelled') continue;
    const p = JSON.parse(j.payload) as StoredOneOffJob;
    await ended(ctx, { id: p.id, app_id: p.appId, name: p.name }, null, `No agent took this one-off dyno within ${UNCLAIMED_MS / 1000} s (its agent went away after it was placed); run it again.`);
  }
}
