// One claimed job on an agent: run it with the shared executors, its lease renewed (a cancel or a
// lost lease stops it), its events piped to the server, its source and slug fetched over HTTP.
import fs from 'node:fs';
import path from 'node:path';
import { executeJob, type ExecDeps, type JobEvent } from '../runner/execute-job.js';
import { TEST_NODE_JOB } from '../ci/test-node-job.js';
import { AgentHttpError, type AgentClient } from './client.js';
import { EventPipe } from './event-pipe.js';
import { sleep } from '../core/sleep.js';
import type { ClaimedJob } from './protocol.js';
import { outlives, type OneOffRecord, type OutlivingOneOffs } from './outliving-one-off.js';
import type { OneOffEvent } from '../runtime/one-off-job.js';

export interface AgentJobDeps {
  client: AgentClient;
  /** The host's executors' dependencies, without the transfers (added here, per job). */
  exec: Omit<ExecDeps, 'fetchSource' | 'slugFile'>;
  /** Where downloaded slugs wait for their release phase. */
  slugDir: string;
  /** "agent NAME on HOST (ADDRESS)", written at the top of a test node's setup output. */
  whereabouts: string;
  bufferBytes: number;
  log(m: string): void;
  /** Detached one-offs, which outlive this process when it is replaced (`handingOver`) or killed. */
  oneOffs?: OutlivingOneOffs;
  handingOver?(): boolean;
}

/** How long a stopping agent still tries to deliver a job's last events to a server that is away. */
const STOP_FLUSH_MS = 10_000;
/** How long one cancel watch waits on the server before asking again. */
const WATCH_MS = 25_000;

/**
 * Run the job to its end and tell the server (retrying while it is away); `stop` cancels it, but a
 * detached one-off is left running for the next agent process when this one hands over.
 * `resumed`: a detached one-off an earlier process of this agent started, taken over at
 * registration (`seq`: the last batch of its events the server recorded).
 */
export async function runAgentJob(job: ClaimedJob, d: AgentJobDeps, stop: AbortSignal, resumed?: { record: OneOffRecord; seq: number }): Promise<void> {
  const ac = new AbortController();
  const oneOffs = d.oneOffs && (resumed || outlives(job)) ? d.oneOffs : undefined;
  const leave = new AbortController();
  const onStop = () => (oneOffs && d.handingOver?.() ? leave.abort() : ac.abort());
  stop.addEventListener('abort', onStop);
  const pipe = new EventPipe({
    jobId: job.id, client: d.client, maxBytes: d.bufferBytes, log: d.log, onLost: () => { d.log(`job ${job.id}: the server took it back (lease lost); stopping it`); ac.abort(); },
    seq: resumed?.seq, checkpoint: oneOffs && ((seq, mark) => oneOffs.checkpoint(job.id, seq, mark)),
  });
  // The lease is renewed while the job runs; a network failure leaves it running (the server may be back before the lease ends).
  const renew = setInterval(() => {
    d.client.lease(job.id).then((l) => {
      if (l.cancel) d.log(`job ${job.id}: cancelled`);
      if (l.lost) d.log(`job ${job.id}: lease lost`);
      if (l.cancel || l.lost) ac.abort();
    }).catch((e) => { if (e instanceof AgentHttpError && e.status === 401) ac.abort(); });
  }, Math.max(300, Math.floor(job.lease_ms / 3)));
  // A cancel (ps:stop, a cancelled run) arrives at once through a long poll; the renewal above is the fallback.
  const watching = new AbortController();
  void (async () => {
    while (!watching.signal.aborted) {
      try {
        const l = await d.client.cancelWatch(job.id, WATCH_MS, watching.signal);
        if (l.cancel || l.lost) {
          if (!ac.signal.aborted) d.log(`job ${job.id}: ${l.cancel ? 'cancelled' : 'lease lost'}`);
          ac.abort();
          return;
        }
      } catch (e) {
        if (e instanceof AgentHttpError && e.status < 500) return; // refused: the renewal still tells
        await sleep(1000, watching.signal); // the server is away: look again when it may be back
      }
    }
  })();
  // Stopping (SIGTERM) with the server away must not wait for it forever.
  const stopDeadline = new Promise<void>((r) => {
    const go = () => { setTimeout(r, STOP_FLUSH_MS).unref(); };
    if (stop.aborted) go(); else stop.addEventListener('abort', go, { once: true });
  });
  const flush = () => Promise.race([pipe.flush(), stopDeadline]);
  const emit = (e: JobEvent) => {
    pipe.push(e);
    if (job.kind === TEST_NODE_JOB && e.type === 'status' && e.event === 'provision') pipe.push({ type: 'output', stream: 'setup', data: `-----> Running on ${d.whereabouts}\n` });
  };
  const exec: ExecDeps = {
    ...d.exec,
    fetchSource: (_url, dest) => d.client.download(job.id, 'source', dest),
    openInput: async () => d.client.input(job.id, ac.signal),
    slugFile: async (slugId) => {
      const file = path.join(d.slugDir, `${job.id}-${slugId}.tgz`);
      await d.client.download(job.id, 'slug', file);
      fs.chmodSync(file, 0o644);
      return { path: file, done: async () => { fs.rmSync(file, { force: true }); } };
    },
  };
  let outcome: { ok: boolean; error?: string } = { ok: true };
  let left = false;
  try {
    if (oneOffs) left = await oneOffs.run(job, (e: OneOffEvent, mark?: number) => pipe.push(e, mark), { cancel: ac.signal, leave: leave.signal }, resumed) === 'left';
    else await executeJob(job, exec, emit, flush, ac.signal);
  } catch (e) {
    outcome = { ok: false, error: (e as Error).message };
    d.log(`job ${job.id} (${job.kind}): ${(e as Error).stack ?? e}`);
  } finally {
    clearInterval(renew);
    watching.abort();
    stop.removeEventListener('abort', onStop);
  }
  // Handed over: the next process sends what the server has not recorded yet (from the one-off's record) and finishes it.
  if (left) { pipe.abandon(); d.log(`job ${job.id}: left running for the next agent process`); return; }
  await flush();
  await oneOffs?.cleanUp(job);
  if (stop.aborted && pipe.pending) pipe.abandon(); // still waiting at the stop deadline: the server is away
  if (pipe.lost) return;
  for (let wait = 250; ; wait = Math.min(5000, wait * 2)) {
    try { await d.client.finish(job.id, outcome); return; } catch (e) {
      if (e instanceof AgentHttpError && e.status < 500) { d.log(`job ${job.id}: finish refused (${e.id}: ${e.message})`); return; }
      // A stopping agent leaves it to the server's recovery (the lease runs out).
      if (stop.aborted) { d.log(`job ${job.id}: stopping while the server is away; the server ends the job when its lease runs out`); return; }
      await sleep(wait);
    }
  }
}
