// The thread router log batches are digested in (router-log-thread.ts starts it), at a lower CPU
// priority than the rest of the host (core/thread-priority.ts). Each batch's buffer goes back with
// its digest; the log buffers the server has written come back to be filled again.
import { parentPort } from 'node:worker_threads';
import { lowerThisThread } from '../core/thread-priority.js';
import { digestRouterLines } from './router-log-digest.js';
import type { FromLogThread, ToLogThread } from './router-log-thread.js';

lowerThisThread();
/** Log buffers handed back (the largest two kept). */
const rooms: ArrayBuffer[] = [];
parentPort!.on('message', (m: ToLogThread) => {
  if ('room' in m) {
    rooms.push(m.room);
    rooms.sort((a, z) => z.byteLength - a.byteLength).splice(2);
    return;
  }
  const d = digestRouterLines(Buffer.from(m.body, 0, m.length), m.source, Date.now(), rooms.shift());
  parentPort!.postMessage({ id: m.id, digest: d, body: m.body } satisfies FromLogThread, [d.log.buffer as ArrayBuffer, m.body]);
});
