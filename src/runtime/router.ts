// The router: one HTTP listener that sends `<app>.<domain>` to the app's web dynos, round robin,
// with Heroku's forwarding headers, a 30 s first-byte timeout (H12), WebSocket upgrades, a log line
// per request in Heroku's router format, and clear error pages.
import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { accessLine, errorLine } from './router-log.js';
import { isTrusted } from '../spaces/cidr.js';

/** A web dyno the router may send traffic to. */
export interface WebTarget {
  id: string; host: string; port: number; name: string;
  /** A server's own agent's (its local or in-process agent: on a server's host): the only dynos a router beside that server may reach at its own addresses. */
  own?: boolean;
}

export interface RouterOptions {
  domain: string;
  /**
   * App id and web dynos that are up for an app name, or undefined when no such app exists. Apps in
   * a private space also give the space's trusted IP ranges and whether they are internal-only.
   */
  lookup(appName: string): { appId: string; dynos: WebTarget[]; trusted?: readonly string[]; internal?: boolean; maintenance?: boolean } | undefined;
  log(appId: string, line: string): void;
  /** The app name a custom domain (`domains:add`) routes to. */
  customHost?(host: string): string | undefined;
  timeoutMs?: number;
  /** Requests in flight per dyno id, kept up to date here (the dyno manager drains with it). */
  inFlight?: Map<string, number>;
}

/** The router's error pages (the nginx data plane serves the same ones). */
/** The Host header is the client's: never markup in a page. */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const page = (title: string, text: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${title}</h1><p>${text}</p></body></html>`;
/** What an app in maintenance mode answers (Heroku's H80), whatever its dynos are doing. */
export const MAINTENANCE_PAGE = page('Offline for maintenance', 'This app is undergoing maintenance right now. Please check back later.');
const VALID_REQUEST_ID = /^[\w+=/@.-]{20,200}$/;
const IDLE_UPSTREAM_MS = 1000;

export function createRouter(o: RouterOptions): http.Server {
  // Idle connections to dynos are dropped after 1 s (nginx's upstream keepalive_timeout here too):
  // well before a dyno's own idle timeout (Node's 5 s), so a request is never sent over one the
  // dyno is closing at that moment (a POST that met it could not be retried: a 503).
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, timeout: IDLE_UPSTREAM_MS });
  const next = new Map<string, number>();
  const suffix = `.${o.domain}`;
  const timeoutMs = o.timeoutMs ?? 30_000;
  const inFlight = o.inFlight ?? new Map<string, number>();
  /** Count a request against its dyno until `done` fires (once). */
  const track = (id: string): (() => void) => {
    inFlight.set(id, (inFlight.get(id) ?? 0) + 1);
    let once = false;
    return () => { if (once) return; once = true; const n = (inFlight.get(id) ?? 1) - 1; if (n > 0) inFlight.set(id, n); else inFlight.delete(id); };
  };

  let port = '';
  // The listening port, looked up once (getsockname per request is measurable under load).
  const listenPort = () => port || (port = String((server.address() as AddressInfo | null)?.port ?? ''));
  const hostOf = (req: http.IncomingMessage) => (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
  const appOf = (host: string) => (host.endsWith(suffix) ? host.slice(0, -suffix.length) : o.customHost?.(host) ?? '');
  // Connections from the TLS listener (custom domains with certificates) arrive decrypted.
  const isTls = (req: http.IncomingMessage) => (req.socket as TLSSocket).encrypted === true;
  const pick = (name: string, dynos: WebTarget[]): WebTarget => {
    const i = (next.get(name) ?? 0) % dynos.length;
    next.set(name, i + 1);
    return dynos[i]!;
  };
  /** Heroku's forwarding headers, amended in place on the request's own header object (no copy per request). */
  const forward = (req: http.IncomingMessage, start: number): { requestId: string; fwd: string } => {
    const headers = req.headers;
    const given = headers['x-request-id'];
    const requestId = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    const remote = req.socket.remoteAddress ?? '';
    const fwd = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${remote}` : remote;
    headers['x-forwarded-for'] = fwd;
    headers['x-forwarded-proto'] = isTls(req) ? 'https' : 'http';
    headers['x-forwarded-port'] = isTls(req) ? String(req.socket.localPort) : listenPort();
    headers['x-request-id'] = requestId;
    headers['x-request-start'] = String(start);
    headers.via = '1.1 slipway';
    return { requestId, fwd };
  };
  /**
   * Private spaces: an internal-routing app is not on the router at all (404), and a client outside
   * the space's trusted IP ranges is refused (403) before anything reaches a dyno.
   */
  const refusal = (target: NonNullable<ReturnType<RouterOptions['lookup']>>, req: http.IncomingMessage, host: string): 404 | 403 | undefined => {
    if (target.internal) return 404;
    const remote = req.socket.remoteAddress ?? '';
    if (!target.trusted || isTrusted(target.trusted, remote)) return undefined;
    o.log(target.appId, errorLine({ code: 'forbidden', desc: `Client address ${remote} is outside the space's trusted IP ranges`, method: req.method ?? 'GET', path: req.url ?? '/', host, status: 403 }));
    return 403;
  };

  const server = http.createServer((req, res) => {
    const start = Date.now();
    const host = hostOf(req);
    const name = appOf(host);
    const target = name ? o.lookup(name) : undefined;
    const refused = target && refusal(target, req, host);
    if (!target || refused === 404) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(page('No such app', `There is no app at ${escapeHtml(host) || 'this address'}.`));
      return;
    }
    if (refused === 403) {
      res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' }).end(page('Forbidden', 'This app is in a private space that does not accept requests from your address (trusted IP ranges).'));
      return;
    }
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (target.maintenance) {
      o.log(target.appId, errorLine({ code: 'H80', desc: 'Maintenance mode', method, path, host, status: 503 }));
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '60' }).end(MAINTENANCE_PAGE);
      return;
    }
    if (!target.dynos.length) {
      o.log(target.appId, errorLine({ code: 'H14', desc: 'No web processes running', method, path, host, status: 503 }));
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '5' }).end(page('Application unavailable', 'No web dyno is running for this app right now. Try again in a moment.'));
      return;
    }
    const { requestId, fwd } = forward(req, start);
    const fail = (status: number, code: string, desc: string, dyno?: string) => {
      o.log(target.appId, errorLine({ code, desc, method, path, host, requestId, fwd, dyno, status, serviceMs: Date.now() - start }));
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'x-request-id': requestId }).end(page('Application error', desc));
      else res.destroy();
    };
    // A GET or HEAD that never reached a dyno (it was stopping, say) is safe to send to another one.
    const retryable = method === 'GET' || method === 'HEAD';
    const send = (attempt: number) => {
      const dynos = attempt === 0 ? target.dynos : o.lookup(name)?.dynos ?? [];
      if (!dynos.length) return fail(503, 'H14', 'No web processes running');
      const dyno = pick(name, dynos);
      const done = track(dyno.id);
      res.once('close', done);
      let answered = false;
      let connectMs = 0;
      const upstream = http.request({ host: dyno.host, port: dyno.port, method, path, headers: req.headers, agent }, (up) => {
        answered = true;
        upstream.setTimeout(0);
        up.headers['x-request-id'] = requestId;
        res.writeHead(up.statusCode ?? 502, up.headers);
        let bytes = 0;
        up.on('data', (c: Buffer) => { bytes += c.length; });
        up.pipe(res);
        res.once('finish', () => o.log(target.appId, accessLine({
          method, path, host, requestId, fwd, dyno: dyno.name, connectMs, serviceMs: Date.now() - start - connectMs, status: res.statusCode, bytes, protocol: isTls(req) ? 'https' : 'http',
        })));
      });
      upstream.once('socket', (s: net.Socket) => {
        if (s.connecting) s.once('connect', () => { connectMs = Date.now() - start; });
      });
      // 30 s to the first byte (H12), on the socket's own timer rather than one more per request.
      upstream.setTimeout(timeoutMs, () => { upstream.destroy(); if (!answered) fail(503, 'H12', 'Request timeout', dyno.name); });
      upstream.on('error', () => {
        done();
        if (res.writableEnded) return;
        if (!answered && retryable && attempt < 2) return send(attempt + 1);
        fail(503, 'H13', 'Connection closed without response', dyno.name);
      });
      if (retryable) upstream.end(); else req.pipe(upstream);
    };
    send(0);
  });

  // WebSockets (and any other Upgrade): the request head goes to a dyno, then bytes flow both ways.
  server.on('upgrade', (req: http.IncomingMessage, client: Duplex, head: Buffer) => {
    const start = Date.now();
    const host = hostOf(req);
    const name = appOf(host);
    const target = name ? o.lookup(name) : undefined;
    const refuse = (status: number, text: string) => { client.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`); };
    client.on('error', () => client.destroy());
    const refused = target && refusal(target, req, host);
    if (!target || refused === 404) return refuse(404, 'Not Found');
    if (refused === 403) return refuse(403, 'Forbidden');
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    if (target.maintenance) {
      o.log(target.appId, errorLine({ code: 'H80', desc: 'Maintenance mode', method, path, host, status: 503 }));
      return refuse(503, 'Service Unavailable');
    }
    if (!target.dynos.length) {
      o.log(target.appId, errorLine({ code: 'H14', desc: 'No web processes running', method, path, host, status: 503 }));
      return refuse(503, 'Service Unavailable');
    }
    const { requestId, fwd } = forward(req, start);
    // Not counted in flight: a long-lived WebSocket would hold every deploy for the whole drain time.
    const dyno = pick(name, target.dynos);
    const upstream = net.connect(dyno.port, dyno.host);
    upstream.setTimeout(timeoutMs, () => upstream.destroy(new Error('timeout')));
    upstream.once('connect', () => {
      upstream.setTimeout(0);
      const lines = [`${method} ${path} HTTP/1.1`];
      for (const [k, v] of Object.entries(req.headers)) {
        for (const one of Array.isArray(v) ? v : [v ?? '']) lines.push(`${k}: ${one}`);
      }
      upstream.write(lines.join('\r\n') + '\r\n\r\n');
      if (head.length) upstream.write(head);
      const connectMs = Date.now() - start;
      // Logged with the status the dyno answered (101 if it took the upgrade), not the one hoped for.
      upstream.once('data', (c: Buffer) => {
        const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(c.toString('latin1', 0, 16))?.[1] ?? 0);
        o.log(target.appId, accessLine({ method, path, host, requestId, fwd, dyno: dyno.name, connectMs, serviceMs: Date.now() - start - connectMs, status, bytes: 0, protocol: 'http' }));
      });
      upstream.pipe(client).pipe(upstream);
    });
    upstream.on('error', (e) => {
      if (upstream.bytesWritten === 0) {
        o.log(target.appId, errorLine({ code: e.message === 'timeout' ? 'H12' : 'H13', desc: 'Connection closed without response', method, path, host, requestId, fwd, dyno: dyno.name, status: 503 }));
        refuse(503, 'Service Unavailable');
      } else client.destroy();
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return server;
}
