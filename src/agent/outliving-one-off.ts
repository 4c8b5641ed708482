// A detached one-off on an agent outlives the agent process (a SIGKILL, a hang, an upgrade's
// handover), as its dynos do: its output goes to a file of the agent's, bubblewrap writes its exit
// code to another, and a record says what the next process needs to take the job over (the job,
// the workspace, the namespace, the launcher) and how far the server recorded its events. The next
// process asks the server for the job at registration (`resume`); if it gets it, it follows the
// same process from the last offset the server recorded; if not (the lease ran out first), it
// stops the process. An attached one-off (a live terminal) is not recorded: it ends with its agent.
import fs from 'node:fs';
import type { Sandbox, Started } from '../sandbox/sandbox.js';
import { forTenant } from '../sandbox/tenant-sandbox.js';
import { OutliveRecords } from '../sandbox/outlive-records.js';
import { procStartTime } from '../sandbox/adopted.js';
import { removeWorkspace, type Workspace } from '../ci/workspace.js';
import { unpackSlug, dynoEnv, dynoCommand } from '../runtime/slug-workspace.js';
import { OutputTail } from '../runtime/dyno-output.js';
import { r15Lines } from '../runtime/memory-quota.js';
import { dynoSize, limitsFor } from '../core/dyno-size.js';
import { describeResult, type SandboxResult } from '../sandbox/result.js';
import { ONE_OFF_TIMEOUT_MS, type OneOffEvent, type OneOffJob } from '../runtime/one-off-job.js';
import type { DynoNet, DynoNetworks } from '../spaces/space-network.js';
import type { ClaimedJob } from './protocol.js';

/** The mark of the exit event: the batch that holds it ends the one-off. */
export const ENDED = -1;

export interface OneOffRecord {
  job: ClaimedJob;
  ws: Workspace;
  net?: { netns: string; address: string; spaceId: string };
  proc: { pid: number; startTime: string; marker: string };
  startedAt: string;
  /**
   * Written before batch `seq` goes to the server: the output file's offset before it and after it,
   * and whether it holds the exit. A new process that hears the server recorded `seq` goes on from
   * `after` (or only finishes, `ended`); else it sends the same again from `before`.
   */
  sent: { seq: number; before: number; after: number; ended: boolean };
}

export class OneOffRecords extends OutliveRecords<OneOffRecord> {
  constructor(dir: string) { super(dir, (r) => r.job.id); }
}

/** The one-off's id (run-…): its workspace's name and its processes' marker. */
export const oneOffIdOf = (r: OneOffRecord): string => (JSON.parse(r.job.payload) as OneOffJob).id;

type Sent = OneOffRecord['sent'];

/** The record of batch `seq` about to be sent, after `last` (a batch sent again keeps its start). */
export function sending(last: Sent, seq: number, mark: number | undefined): Sent {
  const before = last.seq < seq ? last.after : last.before;
  return { seq, before, after: mark === undefined || mark === ENDED ? before : mark, ended: mark === ENDED };
}

/** Where a new process goes on, the server having recorded batches up to `serverSeq`: an offset of the output file, or 'ended' (only finish). */
export function resumeAt(sent: Sent, serverSeq: number): number | 'ended' {
  const recorded = serverSeq >= sent.seq;
  if (recorded && sent.ended) return 'ended';
  return recorded ? sent.after : sent.before;
}

/** A detached one-off is recorded to outlive the agent process; an attached one is the client's terminal and ends with it. */
export const outlives = (job: Pick<ClaimedJob, 'kind' | 'payload'>): boolean => job.kind === 'one-off' && !(JSON.parse(job.payload) as OneOffJob).attach;

export interface OneOffHost {
  records: OneOffRecords;
  sandbox: Sandbox;
  workRoot: string;
  network?: DynoNetworks;
  slugFile(jobId: string, slugId: string): Promise<{ path: string; done(): Promise<void> }>;
  /** Said in the agent's log. */
  log(m: string): void;
}

/** Detached one-offs of this agent process: started or resumed, followed to their end, or left running for the next process. */
export class OutlivingOneOffs {
  private procs = new Map<string, Started>();
  /** The records and namespaces of the one-offs this process started or resumed, by job. */
  private recs = new Map<string, OneOffRecord>();
  private nets = new Map<string, DynoNet>();
  constructor(private h: OneOffHost, private onChange: () => void = () => {}) {}

  /** The launchers of the one-offs this process follows (they hold the agent's networks while it is away). */
  pids(): number[] { return [...this.procs.values()].flatMap((p) => (p.pid === undefined ? [] : [p.pid])); }

  /**
   * Run the job's one-off (or go on with `resumed`, at the server's last recorded batch `seq`) until it
   * ends ('ended': its exit emitted) or `leave` (this agent process goes: it keeps running, 'left');
   * `cancel` stops it. Events go to `emit` with the output file's offset they reach.
   */
  async run(job: ClaimedJob, emit: (e: OneOffEvent, mark?: number) => void, s: { cancel: AbortSignal; leave: AbortSignal }, resumed?: { record: OneOffRecord; seq: number }): Promise<'ended' | 'left'> {
    const spec = JSON.parse(job.payload) as OneOffJob;
    const size = dynoSize(spec.size);
    const sandbox = forTenant(this.h.sandbox, spec.tenant);
    let r: OneOffRecord;
    let net: DynoNet | undefined;
    let proc: Started;
    if (resumed) {
      r = resumed.record;
      const at = resumeAt(r.sent, resumed.seq);
      if (at === 'ended') return 'ended';
      r.sent = { seq: resumed.seq, before: at, after: at, ended: false };
      this.h.records.save(r);
      // `up` is a one-off's first event: no batch recorded means it never arrived.
      if (resumed.seq === 0) emit({ type: 'up' });
      net = r.net && await this.h.network?.adopt?.(spec.appId, spec.id, r.net).catch((e: Error) => { this.h.log(`one-off ${spec.name}: adopting its network: ${e.message}`); return undefined; });
      proc = sandbox.adopt({ ...r.proc, statusFile: this.h.records.statusFile(job.id), limits: limitsFor(size) });
    } else {
      try {
        const slug = await this.h.slugFile(job.id, spec.slugId);
        let ws: Workspace;
        try {
          net = await this.h.network?.forApp(spec.appId, spec.id);
          ws = await unpackSlug(sandbox, this.h.workRoot, spec.id, slug.path, limitsFor(size).diskMb);
        } finally { await slug.done(); }
        emit({ type: 'up' });
        const files = this.h.records.openFiles(job.id);
        try {
          proc = sandbox.start({
            argv: dynoCommand(ws, spec.command), cwd: ws.app, env: dynoEnv(ws, spec.config, { ...spec.env, DYNO: spec.name, PORT: '5000' }),
            writable: [ws.root], tmpDir: ws.tmp, marker: spec.id, netns: net?.netns, limits: limitsFor(size), outlive: files,
          });
        } finally { fs.closeSync(files.output); fs.closeSync(files.status); }
        const startTime = proc.pid === undefined ? undefined : procStartTime(proc.pid);
        r = { job, ws, net: net && { netns: net.netns, address: net.address, spaceId: net.spaceId }, proc: { pid: proc.pid ?? 0, startTime: startTime ?? '', marker: proc.marker }, startedAt: new Date().toISOString(), sent: { seq: 0, before: 0, after: 0, ended: false } };
        // A launcher that is already gone leaves nothing to resume: it is followed here only.
        if (startTime) this.h.records.save(r);
      } catch (e) {
        if (net) this.nets.set(job.id, net);
        emit({ type: 'exit', exitCode: 1, message: (e as Error).message }, ENDED);
        return 'ended';
      }
    }
    this.procs.set(job.id, proc);
    this.recs.set(job.id, r);
    if (net) this.nets.set(job.id, net);
    this.onChange();
    let lines: string[] = [];
    const send = (mark: number) => { if (lines.length) emit({ type: 'output', data: lines.map((l) => `${l}\n`).join('') }, mark); lines = []; };
    const tail = new OutputTail(this.h.records.outputFile(job.id), r.sent.after, {
      line: (l) => lines.push(l),
      dropped: (bytes) => lines.push(`[slipway agent: ${bytes} bytes of output were dropped while no agent process read them]`),
      onOffset: send,
      failed: (m) => this.h.log(`one-off ${spec.name}: ${m}`),
    }, { keep: true });
    // A day at most, counted from its start (as on the server), whichever agent process follows it.
    const left = Date.parse(r.startedAt) + ONE_OFF_TIMEOUT_MS - Date.now();
    const timer = setTimeout(() => void proc.stop(), Math.max(0, left));
    const onCancel = () => void proc.stop();
    s.cancel.addEventListener('abort', onCancel);
    if (s.cancel.aborted) onCancel();
    const end = await new Promise<SandboxResult | 'left'>((resolve) => {
      void proc.result.then(resolve);
      if (s.leave.aborted) resolve('left');
      s.leave.addEventListener('abort', () => resolve('left'), { once: true });
    });
    clearTimeout(timer);
    s.cancel.removeEventListener('abort', onCancel);
    // Left running: it still holds this agent's networks for the next process (the hold is not changed).
    if (end === 'left') { tail.close(false); return 'left'; }
    this.procs.delete(job.id);
    this.onChange();
    tail.close(true);
    send(fileSize(this.h.records.outputFile(job.id)));
    if (end.limitExceeded) emit({ type: 'output', data: `${end.limitExceeded.resource === 'memory' ? r15Lines(end.limitExceeded.usedMb, size.quotaMb).join('\n') : `${spec.name} ${describeResult(end)}`}\n` });
    emit({ type: 'exit', exitCode: end.exitCode ?? 128 + 9 }, ENDED);
    return 'ended';
  }

  /** Before batch `seq` is sent: where it leaves the one-off's output (`mark`: the last offset it holds, or ENDED). */
  checkpoint(jobId: string, seq: number, mark: number | undefined): void {
    const r = this.recs.get(jobId);
    if (!r || !r.proc.startTime) return;
    r.sent = sending(r.sent, seq, mark);
    this.h.records.save(r);
  }

  /** The one-off is over and the server has its end (or will never have it): its record, namespace and workspace go. */
  async cleanUp(job: ClaimedJob, net?: { netns: string; address: string; spaceId: string }): Promise<void> {
    const spec = JSON.parse(job.payload) as OneOffJob;
    this.h.records.remove(job.id);
    this.recs.delete(job.id);
    const held = this.nets.get(job.id) ?? (net && await this.h.network?.adopt?.(spec.appId, spec.id, net).catch(() => undefined));
    this.nets.delete(job.id);
    await held?.release().catch((e: Error) => this.h.log(`one-off ${spec.name}: releasing its network: ${e.message}`));
    await removeWorkspace(this.h.workRoot, spec.id).catch((e: Error) => this.h.log(`one-off ${spec.name}: ${e.message}`));
  }

  /** A one-off the server did not give back (its lease ran out while no agent process ran): its process stopped, and what it used removed. */
  async abandon(r: OneOffRecord): Promise<void> {
    const spec = JSON.parse(r.job.payload) as OneOffJob;
    await forTenant(this.h.sandbox, spec.tenant).adopt({ ...r.proc, statusFile: this.h.records.statusFile(r.job.id) }).stop(0);
    await this.cleanUp(r.job, r.net);
  }
}

const fileSize = (f: string): number => { try { return fs.statSync(f).size; } catch { return 0; } };
