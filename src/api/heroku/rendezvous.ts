// `heroku run` attaches to a one-off dyno by rendezvous: it opens TLS to the attach_url's host,
// writes the URL's path and query as one line, and then reads the dyno's output until the socket
// closes. Slipway streams the one-off's output and forwards what the client sends to its stdin
// (a pseudo-terminal's keyboard when the CLI has a terminal, piped input ended by ^D otherwise).
import type tls from 'node:tls';
import type { Writable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { checkSignedPath, signedQuery } from '../../core/signed-url.js';
import type { AppContext } from '../../app-context.js';
import { signedUrl } from '../urls.js';
import { wantsHeroku } from './error-ids.js';
import { splitAtEndOfInput } from '../../runtime/one-off-terminal.js';
import { findOneOff, type OneOffRow } from '../../store/one-off-dynos.js';
import { oneOffLogKey, stopOnAgent } from '../../releases/agent-one-offs.js';

const ATTACH = /^\/apps\/([^/]+)\/dynos\/([^/]+)\/attach$/;

/** The attach URL for a one-off: rendezvous:// for the heroku CLI when it came over TLS, else the plain HTTP stream. */
export function attachUrl(ctx: AppContext, req: FastifyRequest, pathname: string): string {
  if (wantsHeroku(req.headers.accept) && req.protocol === 'https' && req.headers.host) return `rendezvous://${req.headers.host}${pathname}?${signedQuery(ctx, pathname, 'ATTACH')}`;
  return signedUrl(ctx, req, pathname);
}

/** Serve one rendezvous socket: check the signed path, then stream the dyno's output and forward the client's input to it. */
export function serveRendezvous(ctx: AppContext, socket: tls.TLSSocket): void {
  let head = Buffer.alloc(0);
  let forward: (chunk: Buffer) => void = () => {};
  // Where the input goes: while it has more buffered than it takes, the client's socket is paused
  // (TCP holds the client back) rather than this server keeping all it sends in memory.
  let target: Writable | undefined;
  let attached = false;
  socket.on('data', (chunk: Buffer) => {
    if (attached) {
      forward(chunk);
      const t = target;
      if (t?.writableNeedDrain && !t.writableEnded) {
        socket.pause();
        const go = () => { t.off('drain', go); t.off('close', go); t.off('finish', go); socket.resume(); };
        t.on('drain', go).on('close', go).on('finish', go);
      }
      return;
    }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf(0x0a);
    if (end < 0) { if (head.length > 4096) socket.destroy(); return; }
    attached = true;
    const rest = head.subarray(end + 1);
    const pending: Buffer[] = rest.length ? [rest] : [];
    // Input that arrives before the dyno is looked up waits for it.
    forward = (c) => { pending.push(c); };
    void attach(head.subarray(0, end).toString('latin1').replace(/\r$/, ''), pending, (f, t) => { forward = f; target = t; });
  });
  const attach = async (path: string, pending: Buffer[], setForward: (f: (c: Buffer) => void, target: Writable) => void) => {
    const url = new URL('/' + path, 'http://rendezvous');
    const m = ATTACH.exec(url.pathname);
    const signed = (method: string) => checkSignedPath(ctx.secret, method, url.pathname, url.searchParams, Math.floor(Date.now() / 1000)) === 'ok';
    // The plain-HTTP attach URL (GET) also opens a rendezvous: both name the same one-off.
    const valid = m && (signed('ATTACH') || signed('GET'));
    const run = valid ? ctx.oneOffs.get(m[2]!) : undefined;
    // A one-off on an agent: its input goes through the relay, its output comes from its events.
    const onAgent = valid && !run ? await findOneOff(ctx.store.db, m[1]!, m[2]!) : undefined;
    if (onAgent && onAgent.id === m![2]) { await attachToAgentOneOff(ctx, socket, onAgent, pending, setForward); return; }
    if (!run || run.appId !== m![1]) { socket.end('Slipway: no such one-off dyno, or the attach URL is not valid.\r\n'); return; }
    if (run.attached) { socket.end(`Slipway: ${run.name} already has a client attached.\r\n`); return; }
    run.attached = true;
    const input = run.input;
    if (input) {
      // A terminal gets every byte (Ctrl-C and ^D are its keys); piped input ends at the CLI's ^D.
      const toDyno = (c: Buffer) => {
        if (input.writableEnded) return;
        if (run.terminal) { input.write(c); return; }
        const { data, ended } = splitAtEndOfInput(c);
        if (data.length) input.write(data);
        if (ended) input.end();
      };
      setForward(toDyno, input);
      for (const c of pending) toDyno(c);
    }
    const ac = new AbortController();
    socket.once('close', () => {
      ac.abort();
      input?.end();
      // As on Heroku, an attached one-off ends when its client goes.
      if (run.state !== 'down') ctx.oneOffs.stop(run.appId, run.id);
    });
    await relayOutput(ctx, socket, run.logKey, ac.signal);
  };
}

/** The one-off's output to the client until it ends. */
async function relayOutput(ctx: AppContext, socket: tls.TLSSocket, logKey: string, signal: AbortSignal): Promise<void> {
  // The client drops the first chunk it receives.
  socket.write('rendezvous\r\n');
  for await (const chunk of ctx.logs.follow(logKey, 0, signal)) socket.write(chunk);
  socket.end();
}

/** Attach the rendezvous client to a one-off that runs on an agent: input into its relay, output from its log; its going stops the one-off. */
async function attachToAgentOneOff(ctx: AppContext, socket: tls.TLSSocket, r: OneOffRow, pending: Buffer[], setForward: (f: (c: Buffer) => void, target: Writable) => void): Promise<void> {
  const input = ctx.oneOffs.relays.attachClient(r.id);
  if (!input) { socket.end(`Slipway: ${r.name} already has a client attached, or runs detached.\r\n`); return; }
  setForward(input.write, input.stream);
  for (const c of pending) input.write(c);
  const ac = new AbortController();
  socket.once('close', () => {
    ac.abort();
    input.end();
    // As on Heroku, an attached one-off ends when its client goes.
    void findOneOff(ctx.store.db, r.app_id, r.id).then((now) => (now && now.state !== 'down' ? stopOnAgent(ctx, now) : undefined)).catch((e: Error) => ctx.log.error(`stopping ${r.name}: ${e.message}`));
  });
  await relayOutput(ctx, socket, oneOffLogKey(r.id), ac.signal);
}
