// The server supervises the companions it runs (the router, the local agent) as systemd's
// Restart=always or the kubelet's restart policy would: a companion that dies on its own (a crash,
// an OOM kill, SIGKILL) is noticed within a poll by its pid (an adopted one is not this server's
// child: no 'exit' event comes), said in the log, and started again after a back-off that doubles
// while it keeps dying (no restart storm) and starts over once it has run a while. A companion
// whose pid lives but that stops answering on its socket (companion-hang.ts) is killed and restarted
// the same way.
import type { Logger } from '../app-context.js';
import { sleep } from '../core/sleep.js';
import { alive, type Companion } from './companions.js';
import { HANG, HangCheck, type HangBound } from './companion-hang.js';

export interface RestartBackOff {
  /** The wait before the first restart of a streak. */
  firstMs: number;
  /** The longest wait, however often it died. */
  maxMs: number;
  /** A companion that ran this long before it died starts a new streak (the first wait again). */
  resetAfterMs: number;
}

/** 1 s, 2 s, 4 s … 60 s; a companion that ran 2 minutes is forgiven its past deaths. */
export const RESTART_BACKOFF: RestartBackOff = Object.freeze({ firstMs: 1000, maxMs: 60_000, resetAfterMs: 120_000 });

/** How often each companion's pid is checked (hangDetectedWithinMs assumes this). */
const POLL_MS = 500;

/** The wait before restart `streak` (0: the first of a streak). */
export function restartDelay(streak: number, b: RestartBackOff = RESTART_BACKOFF): number {
  return Math.min(b.maxMs, b.firstMs * 2 ** Math.min(streak, 30));
}

/** The streak a death continues: a new one when the companion had run `resetAfterMs` since it started. */
export function nextStreak(streak: number, ranMs: number, b: RestartBackOff = RESTART_BACKOFF): number {
  return ranMs >= b.resetAfterMs ? 0 : streak + 1;
}

/** One supervised companion; `onRestarted` runs after each restart (the local agent: its app add-on servers again). */
export interface Supervised { companion: Companion | undefined; onRestarted?: () => Promise<void> }

/** Watch each companion (those this server runs: undefined ones are skipped) until `stop`; stop resolves once a restart under way has finished (the caller then stops what runs). */
export function superviseCompanions(list: Supervised[], log: Logger, backOff: RestartBackOff = RESTART_BACKOFF, hang: HangBound = HANG): { stop(): Promise<void> } {
  const stopping = new AbortController();
  const loops = list.map(({ companion, onRestarted }) => companion && watch(companion, onRestarted, log, backOff, hang, stopping.signal));
  return {
    async stop() { stopping.abort(); await Promise.all(loops); },
  };
}

async function watch(c: Companion, onRestarted: Supervised['onRestarted'], log: Logger, b: RestartBackOff, hang: HangBound, stop: AbortSignal): Promise<void> {
  let streak = -1;
  let startedAt = Date.now();
  const pings = new HangCheck(c.socket, hang);
  while (!stop.aborted) {
    await sleep(POLL_MS, stop);
    const pid = c.current?.pid;
    if (stop.aborted || pid === undefined) continue;
    let why: string;
    if (alive(pid)) {
      if (!pings.check(pid)) continue;
      // SIGKILL reaches a stopped process too; what it ran (the dynos) is adopted by the next one.
      log.error(`${c.kind}: process ${pid} runs but has not answered on its socket for ${pings.silentMs / 1000} s (${hang.misses} pings in a row): killing it`);
      await c.kill(pid);
      why = `process ${pid} hung (killed after ${hang.misses} unanswered pings)`;
    } else why = `process ${pid} died (${c.ended?.pid === pid ? c.ended.how : 'crashed or was killed'})`;
    for (;;) {
      streak = nextStreak(streak, Date.now() - startedAt, b);
      const wait = restartDelay(streak, b);
      log.error(`${c.kind}: ${why}; starting a new one in ${wait / 1000} s (restart ${streak + 1} in a row)`);
      await sleep(wait, stop);
      if (stop.aborted) return;
      startedAt = Date.now();
      try {
        await c.restart();
        break;
      } catch (e) {
        why = `restarting failed: ${(e as Error).message}`;
      }
    }
    await onRestarted?.().catch((e: Error) => log.error(`${c.kind}: after its restart: ${e.message}`));
  }
}
