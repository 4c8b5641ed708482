// The output of a build or release phase, followed from any replica: live on the replica running
// the step, and, on the others, once the step ended (from the blob store's archive). Nothing opens
// the output before the step runs, so no replica waits on a stream another replica writes.
import type { LogBook } from '../logs/log-book.js';

const POLL_MS = 50;

/** Resolves true once `key` is live here or `pending()` says the step ended; false if `signal` aborts first. */
export async function stepReady(logs: Pick<LogBook, 'isLive'>, key: string, pending: () => Promise<boolean>, signal: AbortSignal): Promise<boolean> {
  while (!signal.aborted) {
    if (logs.isLive(key) || !(await pending())) return true;
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return false;
}

/** The step's output from its start: waits for it to begin here, or to end anywhere. */
export async function* followStep(logs: Pick<LogBook, 'isLive' | 'follow'>, key: string, pending: () => Promise<boolean>, signal: AbortSignal): AsyncGenerator<Buffer> {
  if (await stepReady(logs, key, pending, signal)) yield* logs.follow(key, 0, signal);
}
