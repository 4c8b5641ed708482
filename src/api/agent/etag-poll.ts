// The agent protocol's long polls on an ETag (an agent's desired dynos, its spaces' plan): the
// answer waits until the tag differs from the agent's If-None-Match, up to wait_ms.
import type { FastifyRequest } from 'fastify';
import { desiredDynosChanged } from '../../core/wakeup.js';

const POLL_MS = 250;

/** Read `tag` until it differs from the request's If-None-Match (woken by desired-state changes, else every 250 ms), the client hangs up, or `waitMs` passes. */
export async function pollTag(req: FastifyRequest, waitMs: number, tag: () => Promise<string>): Promise<{ tag: string; unchanged: boolean }> {
  const known = req.headers['if-none-match'];
  const until = Date.now() + waitMs;
  let gone = false;
  req.raw.once('close', () => { gone = true; });
  let t = await tag();
  while (t === known && !gone && Date.now() + POLL_MS <= until) {
    await desiredDynosChanged.wait(POLL_MS);
    t = await tag();
  }
  return { tag: t, unchanged: t === known };
}
