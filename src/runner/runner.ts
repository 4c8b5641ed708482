// The runner: claims jobs from the queue with a lease, keeps the lease alive, stops a job when it
// is cancelled or its lease is lost, and hands every event to a sink (in-process when embedded).
import { claim, finish, heartbeat, RetryLater, type Job, type Queue } from '../jobs/queue.js';
import { jobsQueued } from '../core/wakeup.js';

export type JobHandler = (job: Job, signal: AbortSignal) => Promise<void>;

export interface RunnerOptions {
  queue: Queue;
  /** Unique per process: "<runner name>/<instance id>". */
  owner: string;
  concurrency: number;
  leaseMs: number;
  handlers: Record<string, JobHandler>;
  pollMs?: number;
  onError?: (e: unknown) => void;
}

export class Runner {
  private active = new Map<string, AbortController>();
  private keys = new Map<string, string>();
  private stopping = false;
  private idle = new AbortController();
  private polling = false;

  constructor(private o: RunnerOptions) {}

  get busy(): number { return this.active.size; }
  get capacity(): number { return this.o.concurrency; }

  start(): void {
    // Every poll interval, or at once when a job is queued in this process (jobsQueued).
    void (async () => {
      while (!this.stopping) {
        this.poke();
        await jobsQueued.wait(this.o.pollMs ?? 250, this.idle.signal);
      }
    })();
  }

  /** Look for work now (called after enqueueing, so jobs start without waiting for the poll). */
  poke(): void {
    if (this.stopping || this.polling) return;
    this.polling = true;
    void this.fill().catch((e) => this.o.onError?.(e)).finally(() => { this.polling = false; });
  }

  private async fill(): Promise<void> {
    while (!this.stopping && this.active.size < this.o.concurrency) {
      const job = await claim(this.o.queue, Object.keys(this.o.handlers), this.o.owner, this.o.leaseMs);
      if (!job) return;
      void this.execute(job);
    }
  }

  private async execute(job: Job): Promise<void> {
    const ac = new AbortController();
    this.active.set(job.id, ac);
    if (job.key) this.keys.set(job.key, job.id);
    const beat = setInterval(() => {
      heartbeat(this.o.queue, job.id, this.o.owner, this.o.leaseMs)
        .then((h) => { if (h.cancel || h.lost) ac.abort(); })
        .catch((e) => this.o.onError?.(e));
    }, Math.max(200, Math.floor(this.o.leaseMs / 3)));
    try {
      await this.o.handlers[job.kind]!(job, ac.signal);
      await finish(this.o.queue, job, this.o.owner, { ok: true });
    } catch (e) {
      if (!(e instanceof RetryLater)) this.o.onError?.(e);
      await finish(this.o.queue, job, this.o.owner, { ok: false, error: (e as Error).message ?? String(e), retry: e instanceof RetryLater }).catch(() => {});
    } finally {
      clearInterval(beat);
      this.active.delete(job.id);
      if (job.key) this.keys.delete(job.key);
      this.poke();
    }
  }

  /** Stop a job this runner holds now, without waiting for its next heartbeat to learn of the cancel. */
  abort(key: string): boolean {
    const id = this.keys.get(key);
    const ac = id ? this.active.get(id) : undefined;
    ac?.abort();
    return !!ac;
  }

  /** Stop taking work; cancel what runs (its handlers clean up) and wait for it. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.idle.abort();
    for (const ac of this.active.values()) ac.abort();
    while (this.active.size) await new Promise((r) => setTimeout(r, 25));
  }
}
