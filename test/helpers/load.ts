// Steady requests to an app through the router while something happens (a deploy, a promotion),
// counting the ones that were not what `ok` expects. Bounded: it stops by itself after `maxMs`.
import { viaRouter } from './server.js';

export interface SteadyLoad { stop(): Promise<{ failures: number; served: number }> }

export function steadyLoad(s: { routerPort: number }, app: string, ok: (r: { status: number; body: string }) => boolean, opts: { intervalMs?: number; maxMs?: number } = {}): SteadyLoad {
  let stop = false;
  let failures = 0;
  let served = 0;
  const until = Date.now() + (opts.maxMs ?? 120_000);
  const done = (async () => {
    while (!stop && Date.now() < until) {
      const r = await viaRouter(s, app).catch(() => ({ status: 0, body: '' }));
      if (ok(r)) served++; else failures++;
      await new Promise((res) => setTimeout(res, opts.intervalMs ?? 20));
    }
  })();
  return { stop: async () => { stop = true; await done; return { failures, served }; } };
}
