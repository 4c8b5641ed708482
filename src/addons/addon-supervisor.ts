// Apps' add-on servers are supervised as systemd's `Restart=on-failure` or a Kubernetes pod's
// containers are: a server whose process ends while its host process runs (a crash, the OOM killer,
// `kill -9`) is started again at the same address, port and data folder (the URL in the app's
// config vars stays valid), after the dynos' crash back-off (core/crash-backoff.ts). A start that
// fails (a corrupted data folder) counts as a crash: the waits grow, never a hot loop, and each
// server is on its own (one that cannot start takes no other down). Each end and start is said in
// the app's log and reported as the add-on's status (core/addon-server-status.ts).
import type { Started } from '../sandbox/sandbox.js';
import { describeResult, type SandboxResult } from '../sandbox/result.js';
import { crashBackoffMs } from '../core/crash-backoff.js';
import { ADDON_SERVER, type AddonServerState, type AddonServerStatus } from '../core/addon-server-status.js';

/** Where a supervised server's news goes: the app's log, and the add-on's status (the store's row). */
export interface AddonServerEvents {
  log(appId: string, source: string, line: string): void;
  status(id: string, s: AddonServerStatus): void;
}

/** One server to supervise: its process, how to start it again, and what its last process counted. */
export interface SupervisedSpec {
  id: string;
  appId: string;
  /** Said in the app's log: `heroku[<name>]`, as Heroku names its platform's lines. */
  name: string;
  proc: Started;
  /** Start it again where it ran; the new process. */
  restart(): Promise<Started>;
  /** A new process runs (started again): recorded by the caller. */
  running(proc: Started, s: AddonServerStatus): void;
  /** Carried over from an earlier process of this host (an adopted server). */
  restarts?: number;
  lastExit?: string | null;
}

interface Supervised extends SupervisedSpec { state: AddonServerState; restarts: number; lastExit: string | null; failures: number; upSince: number; timer?: NodeJS.Timeout; stopped?: boolean }

/** A server that ran this long since its last start had recovered: its next crash waits the first back-off again. */
const STABLE_MS = 10 * 60_000;

/** How a process ended, as Heroku says it of a dyno. */
export const exitLine = (r: SandboxResult): string => (r.reason === 'exited' || r.reason === 'signalled'
  ? `process exited with status ${r.exitCode ?? r.signal ?? 'unknown'}` : `process ${describeResult(r)}`);

export class AddonSupervisor {
  private servers = new Map<string, Supervised>();
  constructor(private events?: AddonServerEvents) {}

  /** Supervise `spec.proc` from now on (a server just started, or adopted). */
  watch(spec: SupervisedSpec): void {
    const s: Supervised = { ...spec, state: 'up', restarts: spec.restarts ?? 0, lastExit: spec.lastExit ?? null, failures: 0, upSince: Date.now() };
    this.forget(spec.id);
    this.servers.set(spec.id, s);
    this.follow(s, spec.proc);
  }

  /** The process of each server that runs now. */
  procs(): Array<[string, Started]> { return [...this.servers].flatMap(([id, s]) => (s.state === 'up' ? [[id, s.proc] as [string, Started]] : [])); }

  /** No longer supervised (its process is being stopped, or handed over to the next host process): its end starts nothing. */
  forget(id: string): Supervised | undefined {
    const s = this.servers.get(id);
    if (!s) return undefined;
    s.stopped = true;
    clearTimeout(s.timer);
    this.servers.delete(id);
    return s;
  }

  /** Forget every server; their processes (those that run). */
  forgetAll(): Array<[string, Started]> {
    const running = this.procs();
    for (const id of [...this.servers.keys()]) this.forget(id);
    return running;
  }

  private follow(s: Supervised, proc: Started): void {
    void proc.result.then((r) => {
      if (s.stopped || s.proc !== proc) return;
      this.crashed(s, exitLine(r));
    });
  }

  private status(s: Supervised): AddonServerStatus {
    return { state: s.state, restarts: s.restarts, last_exit: s.lastExit, changed_at: new Date().toISOString() };
  }

  private move(s: Supervised, to: AddonServerState): void {
    if (!ADDON_SERVER.can(s.state, to)) return;
    s.state = to;
    this.events?.status(s.id, this.status(s));
  }

  /** It ended (or a start failed): said, and started again after the back-off. */
  private crashed(s: Supervised, why: string): void {
    if (Date.now() - s.upSince >= STABLE_MS) s.failures = 0;
    const delay = crashBackoffMs(s.failures);
    s.failures++;
    s.lastExit = why;
    this.move(s, 'crashed');
    this.events?.log(s.appId, `heroku[${s.name}]`, `${s.name}: ${why}; state changed to crashed; starting it again at the same address in ${delay / 1000} s (restart ${s.restarts + 1})`);
    s.timer = setTimeout(() => { void this.start(s); }, delay);
    s.timer.unref?.();
  }

  private async start(s: Supervised): Promise<void> {
    if (s.stopped) return;
    s.restarts++;
    this.move(s, 'starting');
    let proc: Started;
    try {
      proc = await s.restart();
    } catch (e) {
      if (!s.stopped) this.crashed(s, `starting it failed: ${(e as Error).message}`);
      return;
    }
    if (s.stopped) { await proc.stop(); return; }
    s.proc = proc;
    s.upSince = Date.now();
    this.move(s, 'up');
    s.running(proc, this.status(s));
    this.events?.log(s.appId, `heroku[${s.name}]`, `${s.name}: state changed from starting to up (restart ${s.restarts})`);
    this.follow(s, proc);
  }
}
