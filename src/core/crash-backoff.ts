// How long a crashed process waits before it is started again: a dyno (runtime/dyno-manager.ts) and
// an app's add-on server (addons/addon-supervisor.ts) alike, as Heroku's crashed dynos and
// Kubernetes' CrashLoopBackOff do: 1 s, 2 s, 4 s … up to 5 minutes.

const FIRST_MS = 1000;
const MAX_MS = 300_000;

/** The wait before the start that follows `failures` crashes in a row (0: the first crash). */
export const crashBackoffMs = (failures: number): number => Math.min(MAX_MS, FIRST_MS * 2 ** Math.max(0, failures));
