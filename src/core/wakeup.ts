// Wake-up hints inside one process: a write (a job queued, an agent's desired dynos changed) ends
// the sleep of the long polls waiting on it here, so they look again at once instead of at their
// next poll. Only a hint: the row is the state, and polls on other replicas still find it at their
// next look (a hint missed between a look and a wait costs one poll interval, as before).

export class Wakeup {
  private waiting = new Set<() => void>();

  /** Wake every wait in progress. */
  notify(): void {
    const waits = [...this.waiting];
    this.waiting.clear();
    for (const w of waits) w();
  }

  /** Wait `ms`, or less when notified or when `signal` aborts (never rejects). */
  wait(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.waiting.delete(done); signal?.removeEventListener('abort', done); resolve(); };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Waits in progress (for tests). */
  get size(): number { return this.waiting.size; }
}

/** A job was queued without a delay (agents' claim polls look again). */
export const jobsQueued = new Wakeup();
/** Some agent's desired dynos changed (agents' desired-dyno polls look again). */
export const desiredDynosChanged = new Wakeup();
/** A running job was asked to stop (agents' cancel watches look again). */
export const jobsCancelled = new Wakeup();
/** A test run's or node's status changed (the CLI's wait for a run's end, output streams waiting for a step, look again). */
export const testRunsChanged = new Wakeup();
