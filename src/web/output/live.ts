// Live output to the browser as Server-Sent Events: each event is the HTML of new bytes (ANSI
// rendered), its id the byte offset reached, so a reconnecting EventSource resumes where it was.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { StringDecoder } from 'node:string_decoder';
import type { LogBook } from '../../logs/log-book.js';
import { AnsiToHtml } from './ansi.js';
import { sleep } from '../../core/sleep.js';

export interface LiveOptions {
  /** Resolves when there is something to follow (e.g. the step has started); false: nothing will come. */
  ready?: (signal: AbortSignal) => Promise<boolean>;
  /** Keep following after the stream closes (an app's log opens again with the next line). */
  forever?: boolean;
}


const event = (id: number, name: string | null, data: string): string =>
  `id: ${id}\n${name ? `event: ${name}\n` : ''}${data.split('\n').map((l) => `data: ${l}`).join('\n')}\n\n`;

export async function sendLive(logs: LogBook, key: string, req: FastifyRequest<{ Querystring: { from?: string } }>, reply: FastifyReply, o: LiveOptions = {}): Promise<void> {
  const resume = Number(req.headers['last-event-id'] ?? req.query.from ?? 0);
  let pos = Number.isFinite(resume) && resume > 0 ? Math.floor(resume) : 0;
  const ac = new AbortController();
  req.raw.on('close', () => ac.abort());
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', connection: 'keep-alive' });
  res.write('retry: 2000\n\n');
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  try {
    if (o.ready && !(await o.ready(ac.signal))) { res.write(event(pos, 'end', '')); return; }
    do {
      const decoder = new StringDecoder('utf8');
      const ansi = new AnsiToHtml();
      for await (const chunk of logs.follow(key, pos, ac.signal)) {
        pos += chunk.length;
        const out = ansi.push(decoder.write(chunk));
        if (out) res.write(event(pos, null, out));
      }
      const rest = ansi.push(decoder.end()) + ansi.flush();
      if (rest) res.write(event(pos, null, rest));
      if (o.forever && !ac.signal.aborted) {
        await sleep(1000, ac.signal);
        if (logs.size(key) < pos) pos = 0; // trimmed while closed: start again from its new beginning
      }
    } while (o.forever && !ac.signal.aborted);
    if (!ac.signal.aborted) res.write(event(pos, 'end', ''));
  } finally {
    clearInterval(ping);
    res.end();
  }
}
