// Work that must not slow the requests a host serves runs at a lower CPU priority (Linux's nice is
// per thread), so that under load the scheduler runs the data plane (nginx, the dynos) first and
// this work in what is left. In the server and the nginx router's process that is every thread but
// the main one: the log threads (router log lines, tens of thousands a second under load, are
// milliseconds of CPU a batch), V8's garbage-collection helpers and libuv's pool. The main thread
// keeps its priority: it answers the API and the routing table, and what it starts (the agent and
// its dynos, nginx) inherits its priority, not theirs. Measured side by side in bench/router.
import fs from 'node:fs';
import os from 'node:os';

/** The nice value of background threads: below everything else on the host, not idle-only (they still run on a busy host). */
export const BACKGROUND_NICE = 10;

/** This thread's id (Linux), or undefined where it cannot be read. */
export function threadId(): number | undefined {
  try {
    const tid = Number(fs.readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch { return undefined; }
}

/** Lower the calling thread's CPU priority (only it: not the process's other threads); false where this system does not allow it. */
export function lowerThisThread(nice = BACKGROUND_NICE): boolean {
  const tid = threadId();
  if (tid === undefined) return false;
  try { os.setPriority(tid, Math.max(nice, os.getPriority(tid))); return true; } catch { return false; }
}

/**
 * Lower every thread of this process but the main one; how many were. libuv's pool is started first
 * (it starts on first use, from the main thread, and would keep the main thread's priority).
 */
export async function lowerBackgroundThreads(nice = BACKGROUND_NICE): Promise<number> {
  await fs.promises.access('/');
  let lowered = 0;
  let tids: string[];
  try { tids = fs.readdirSync('/proc/self/task'); } catch { return 0; }
  for (const t of tids) {
    const tid = Number(t);
    if (tid === process.pid) continue;
    try { os.setPriority(tid, Math.max(nice, os.getPriority(tid))); lowered++; } catch { /* gone, or not allowed */ }
  }
  return lowered;
}
