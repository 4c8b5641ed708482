// A wait that a signal ends early. Node's own timer removes its abort listener when it fires, so
// waits in a loop on one long-lived signal (back-offs while a server is away) do not pile them up.
import { setTimeout as delay } from 'node:timers/promises';

/** Wait `ms`, or less when `signal` aborts (never rejects). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> => delay(ms, undefined, { signal }).then(() => undefined, () => undefined);
