// GET /health, one request after another, while an attack runs: whether the server kept answering.
// What the tests assert is liveness, not speed (speed is bench/'s): every request answered within its
// own bound, and requests kept being answered while the attack was under way, which a server blocked
// on its main thread (expanding a bomb, reading a FIFO) or starved by the host cannot do. The
// latencies are printed, as figures.
import assert from 'node:assert/strict';

/** A request that has not answered after this long counts as a failure: the server is not answering. */
const REQUEST_BOUND_MS = 10_000;

interface Sample { start: number; end: number; ok: boolean }

export interface HealthReport {
  probes: number;
  failures: number;
  maxMs: number;
  /** How many requests were sent and answered, both, between `from` and `to` (performance.now() times). */
  answeredBetween(from: number, to: number): number;
  /** One line for the test's output: count, failures, median and slowest latency. */
  summary: string;
}

export function healthProbe(s: { url: string } | string, everyMs = 50): { stop(): Promise<HealthReport> } {
  const url = (typeof s === 'string' ? s : s.url) + '/health';
  const samples: Sample[] = [];
  let stop = false;
  const until = performance.now() + 600_000;
  const done = (async () => {
    while (!stop && performance.now() < until) {
      const start = performance.now();
      const ok = await fetch(url, { signal: AbortSignal.timeout(REQUEST_BOUND_MS) }).then((r) => r.ok, () => false);
      samples.push({ start, end: performance.now(), ok });
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    stop: async () => {
      stop = true;
      await done;
      const ms = samples.map((x) => x.end - x.start).sort((a, b) => a - b);
      const failures = samples.filter((x) => !x.ok).length;
      const maxMs = ms.at(-1) ?? 0;
      return {
        probes: samples.length, failures, maxMs,
        answeredBetween: (from, to) => samples.filter((x) => x.ok && x.start >= from && x.end <= to).length,
        summary: `/health: ${samples.length} requests, ${failures} unanswered, median ${(ms[Math.floor(ms.length / 2)] ?? 0).toFixed(0)} ms, slowest ${maxMs.toFixed(0)} ms`,
      };
    },
  };
}

/**
 * The server answered every /health request, and while the attack ran (from `from` to `to`, if it
 * lasted long enough for a request to go and come back) it answered at least one sent after the
 * attack began: it was not held for the attack's length.
 */
export function assertAnswered(h: HealthReport, from: number, to: number, what: string): void {
  assert.equal(h.failures, 0, `${what}: GET /health went unanswered ${h.failures} times in ${REQUEST_BOUND_MS / 1000} s (${h.summary})`);
  if (to - from >= 1_000) assert.ok(h.answeredBetween(from, to) >= 1, `${what}: no GET /health sent during the ${((to - from) / 1000).toFixed(1)} s of the attack was answered before it ended (${h.summary})`);
}
