// A companion whose pid is alive but whose event loop no longer runs (stopped with SIGSTOP, stuck in
// a loop, deadlocked) keeps its pid and serves nothing: the supervisor pings its identity socket
// and takes HANG.misses unanswered pings in a row for a hang (the kubelet's liveness probe, with a
// failure threshold), so one slow answer on a busy host is not a death sentence.
import { askIdentity } from './identity-socket.js';

export interface HangBound {
  /** How often the socket is pinged. */
  everyMs: number;
  /** How long one ping waits for its answer. */
  timeoutMs: number;
  /** Unanswered pings in a row that make a hang. */
  misses: number;
}

/** 3 pings, 3 s apart, each given 2 s: a companion silent for 9 to 13 s is hung. */
export const HANG: HangBound = Object.freeze({ everyMs: 3000, timeoutMs: 2000, misses: 3 });

/** The longest from a companion going silent to its hang being decided: `misses` pings, each started up to a poll (`pollMs`) after it is due, the last given `timeoutMs`, seen at the next poll. */
export function hangDetectedWithinMs(b: HangBound = HANG, pollMs = 500): number {
  return b.misses * (b.everyMs + pollMs) + b.timeoutMs + pollMs;
}

/** The misses in a row after one more ping (`answered` resets the count). */
export function nextMisses(misses: number, answered: boolean): number {
  return answered ? 0 : misses + 1;
}

/** Pings one companion process at most every `everyMs`; `check` resolves true once it is hung. */
export class HangCheck {
  private misses = 0;
  private lastAt = 0;
  private pending?: Promise<void>;
  private pid?: number;

  constructor(private socket: string, private b: HangBound = HANG) {}

  /** Called on every poll of a live `pid`: starts a ping when one is due (never two at once) and says whether the pid is hung. */
  check(pid: number): boolean {
    // A new process (restarted or adopted) starts with a clean slate.
    if (pid !== this.pid) { this.pid = pid; this.misses = 0; this.lastAt = Date.now(); }
    if (!this.pending && Date.now() - this.lastAt >= this.b.everyMs) {
      this.lastAt = Date.now();
      this.pending = askIdentity(this.socket, this.b.timeoutMs).then((id) => {
        if (this.pid === pid) this.misses = nextMisses(this.misses, id?.pid === pid);
      }).finally(() => { this.pending = undefined; });
    }
    return this.misses >= this.b.misses;
  }

  /** How long the hung process had not answered (for the log line). */
  get silentMs(): number { return this.misses * this.b.everyMs; }
}
