// One job's events on their way to the server: kept in order, sent in numbered batches (a batch
// sent again after a lost answer is recorded once), retried with back-off while the server is away,
// and bounded: past `maxBytes` waiting, output is dropped (and the log says how much), never the rest.
import type { JobEvent } from '../runner/execute-job.js';
import { toWire, type WireEvent } from './protocol.js';
import { AgentHttpError, type AgentClient } from './client.js';

/** `mark`: where the event's source stands once it is sent (a one-off's output file offset), for `checkpoint`. */
type Item = { kind: 'event'; e: WireEvent; bytes: number; mark?: number } | { kind: 'slug'; file: string };

const MAX_BATCH_EVENTS = 500;
const MAX_BATCH_BYTES = 4 * 1024 * 1024;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Thrown inside the pipe when the server says the job is no longer this agent's. */
class LeaseLost extends Error {}

export class EventPipe {
  private items: Item[] = [];
  private seq = 0;
  private buffered = 0;
  private dropped = 0;
  private droppedStream?: 'setup' | 'test';
  private sending?: Promise<void>;
  lost = false;

  /**
   * `seq`: the last batch the server recorded (a job resumed by a new agent process goes on from it).
   * `checkpoint`: called before batch `seq` is sent, with the last mark it holds: what a new agent
   * process needs to send the same again, or what follows it (see outliving-one-off.ts).
   */
  constructor(private o: { jobId: string; client: AgentClient; maxBytes: number; onLost(): void; log(m: string): void; seq?: number; checkpoint?(seq: number, mark: number | undefined): void }) {
    this.seq = o.seq ?? 0;
  }

  /** Queue an event (synchronous, as executors emit); a build's slug is uploaded before its end event. */
  push(e: JobEvent, mark?: number): void {
    if (this.lost) return;
    const w = toWire(e);
    const bytes = w.type === 'output' ? w.data_base64.length : JSON.stringify(w).length;
    if (w.type === 'output' && this.buffered + bytes > this.o.maxBytes) {
      this.dropped += Buffer.byteLength(w.data_base64, 'base64');
      this.droppedStream = w.stream;
      return;
    }
    if (this.dropped) {
      const note = Buffer.from(`\n[slipway agent: ${this.dropped} bytes of output were dropped while the server was away]\n`).toString('base64');
      this.items.push({ kind: 'event', e: this.droppedStream ? { type: 'output', stream: this.droppedStream, data_base64: note } : { type: 'output', data_base64: note }, bytes: note.length });
      this.dropped = 0;
    }
    if (e.type === 'end' && 'slugFile' in e) this.items.push({ kind: 'slug', file: e.slugFile });
    this.items.push({ kind: 'event', e: w, bytes, mark });
    this.buffered += bytes;
    this.kick();
  }

  /** Resolves once everything pushed so far is recorded by the server (or the job is lost). */
  async flush(): Promise<void> {
    while (!this.lost && (this.items.length || this.sending)) {
      this.kick();
      await this.sending;
    }
  }

  /** Events not yet recorded by the server. */
  get pending(): boolean { return this.items.length > 0 || !!this.sending; }

  /** Stop trying (the agent is stopping and the server is away): what waits is dropped. */
  abandon(): void { this.lost = true; this.items = []; }

  private kick(): void {
    if (this.sending || this.lost) return;
    this.sending = this.drain().catch((e) => {
      if (e instanceof LeaseLost) { if (!this.lost) { this.lost = true; this.items = []; this.o.onLost(); } } else this.o.log(`events of job ${this.o.jobId}: ${(e as Error).message}`);
    }).finally(() => { this.sending = undefined; });
  }

  private async drain(): Promise<void> {
    while (this.items.length) {
      const head = this.items[0]!;
      if (head.kind === 'slug') {
        await this.retry('uploading the slug', () => this.o.client.uploadSlug(this.o.jobId, head.file));
        this.items.shift();
        continue;
      }
      let n = 0;
      let bytes = 0;
      while (n < this.items.length && n < MAX_BATCH_EVENTS && this.items[n]!.kind === 'event' && (n === 0 || bytes + (this.items[n] as { bytes: number }).bytes <= MAX_BATCH_BYTES)) {
        bytes += (this.items[n] as { bytes: number }).bytes;
        n++;
      }
      const seq = this.seq + 1;
      const events = this.items.slice(0, n).map((i) => (i as { e: WireEvent }).e);
      this.o.checkpoint?.(seq, this.items.slice(0, n).reduce<number | undefined>((m, i) => (i as { mark?: number }).mark ?? m, undefined));
      // A batch the server refuses (it does not validate) is dropped, and its number used again.
      if (await this.retry(`sending events (batch ${seq})`, () => this.o.client.events(this.o.jobId, { seq, events }))) this.seq = seq;
      this.items.splice(0, n);
      this.buffered -= bytes;
    }
  }

  /**
   * Until it works (true): the server away (network, 5xx) means wait and send the same again; a lost
   * lease ends the job; a refusal (4xx) is logged and the item dropped (false).
   */
  private async retry(what: string, fn: () => Promise<unknown>): Promise<boolean> {
    for (let wait = 250, said = false; ; wait = Math.min(5000, wait * 2)) {
      if (this.lost) throw new LeaseLost('abandoned');
      try { await fn(); return true; } catch (e) {
        if (e instanceof AgentHttpError && e.id === 'agent_lease_lost') throw new LeaseLost(e.message);
        if (e instanceof AgentHttpError && e.status < 500 && e.status !== 429) { this.o.log(`${what} for job ${this.o.jobId}: refused (${e.id}: ${e.message}); dropped`); return false; }
        if (!said) { this.o.log(`${what} for job ${this.o.jobId}: ${(e as Error).message}; retrying until the server answers`); said = true; }
        await sleep(wait);
      }
    }
  }
}
