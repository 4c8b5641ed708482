// Requests in flight per dyno when nginx is the data plane. nginx reports no per-upstream counts
// (stub_status counts connections for the whole server; per-upstream figures need nginx Plus or
// third-party modules), and its access log has a line per request only once it ends. But a dyno
// leaves the table by a graceful reload: the new workers never send it anything, and each old
// worker exits once it has answered every request it holds (or at worker_shutdown_timeout, the
// router timeout). So "a worker from before the reload that removed the dyno is still alive" is an
// exact bound: while it runs, the dyno may have requests in flight; when none is left, it has none.
import fs from 'node:fs';

/** The master's children as [pid, title] ("nginx: worker process is shutting down"). */
export function workersOf(master: number): [number, string][] {
  try {
    const pids = fs.readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    return pids.map((p) => { try { return [p, fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()] as [number, string]; } catch { return [p, '']; } });
  } catch { return []; }
}

/** Which dynos the workers replaced by reloads could still be sending requests to. */
export class RetiringWorkers {
  /** Worker pid → the dynos its configuration routed to. */
  private retiring = new Map<number, ReadonlySet<string>>();

  /** `serving`: the dynos of the configuration nginx runs now. */
  constructor(private serving: ReadonlySet<string> = new Set()) {}

  /** A reload replaced `workers` (they served the previous dynos); the new configuration routes to `serving`. */
  reloaded(workers: number[], serving: ReadonlySet<string>): void {
    for (const w of workers) if (!this.retiring.has(w)) this.retiring.set(w, this.serving);
    this.serving = serving;
  }

  /** Per dyno no longer served: the retiring workers still alive that routed to it. */
  inFlight(alive: () => number[]): Record<string, number> {
    if (!this.retiring.size) return {};
    const live = new Set(alive());
    const out: Record<string, number> = {};
    for (const [pid, dynos] of this.retiring) {
      if (!live.has(pid)) { this.retiring.delete(pid); continue; }
      for (const d of dynos) if (!this.serving.has(d)) out[d] = (out[d] ?? 0) + 1;
    }
    return out;
  }
}
