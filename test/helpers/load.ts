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

/** While the server is down for `ms`: a request every 100 ms, each must be `ok` (an assertion error says which was not); how many were served. */
export async function servedWhileDown(s: { routerPort: number }, app: string, ok: (r: { status: number; body: string }) => boolean, ms: number): Promise<number> {
  const downAt = Date.now();
  let served = 0;
  while (Date.now() - downAt < ms) {
    const r = await viaRouter(s, app);
    if (!ok(r)) throw new Error(`while the server is down: ${r.status} ${r.body.slice(0, 200)}`);
    served++;
    await new Promise((res) => setTimeout(res, 100));
  }
  return served;
}
