// `heroku run` attaches to a one-off dyno by rendezvous: it opens TLS to the attach_url's host,
// writes the URL's path and query as one line, and then reads the dyno's output until the socket
// closes. Slipway streams the one-off's output log; it does not forward stdin (no TTY).
import type tls from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { signPath, verifyPath } from '../../core/signed-url.js';
import type { AppContext } from '../../app-context.js';
import { signedUrl } from '../urls.js';
import { wantsHeroku } from './error-ids.js';

const ATTACH = /^\/apps\/([^/]+)\/dynos\/([^/]+)\/attach$/;

/** The attach URL for a one-off: rendezvous:// for the heroku CLI when it came over TLS, else the plain HTTP stream. */
export function attachUrl(ctx: AppContext, req: FastifyRequest, pathname: string): string {
  if (wantsHeroku(req.headers.accept) && req.protocol === 'https' && req.headers.host) return `rendezvous://${req.headers.host}${pathname}?sig=${signPath(ctx.secret, pathname)}`;
  return signedUrl(ctx, req, pathname);
}

/** Serve one rendezvous socket: check the signed path, then stream the dyno's output until it ends. */
export function serveRendezvous(ctx: AppContext, socket: tls.TLSSocket): void {
  let line = '';
  const onData = (chunk: Buffer) => {
    line += chunk.toString('latin1');
    const end = line.indexOf('\n');
    if (end < 0) { if (line.length > 4096) socket.destroy(); return; }
    socket.off('data', onData);
    // Whatever the client types next is read and dropped: one-offs here have no stdin.
    socket.on('data', () => {});
    void attach(line.slice(0, end).replace(/\r$/, ''));
  };
  const attach = async (target: string) => {
    const url = new URL('/' + target, 'http://rendezvous');
    const m = ATTACH.exec(url.pathname);
    const run = m && verifyPath(ctx.secret, url.pathname, url.searchParams.get('sig') ?? undefined) ? ctx.oneOffs.get(m[2]!) : undefined;
    if (!run || run.appId !== m![1]) { socket.end('Slipway: no such one-off dyno, or the attach URL is not valid.\r\n'); return; }
    const ac = new AbortController();
    socket.once('close', () => ac.abort());
    // The client drops the first line it receives.
    socket.write('rendezvous\r\n');
    for await (const chunk of ctx.logs.follow(run.logKey, 0, ac.signal)) socket.write(chunk);
    socket.end();
  };
  socket.on('data', onData);
}
