// The router: one HTTP listener that sends `<app>.<domain>` to the app's web dynos, round robin,
// with Heroku's forwarding headers, a 30 s first-byte timeout (H12) and clear error pages.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { isTrusted } from '../spaces/cidr.js';

export interface RouteTarget { host: string; port: number }

export interface RouterOptions {
  domain: string;
  /**
   * App id and web dyno addresses for an app name, or undefined when no such app exists. Apps in a
   * private space also give the space's trusted ranges and whether they are internal-only.
   */
  lookup(appName: string): { appId: string; targets: RouteTarget[]; trusted?: readonly string[]; internal?: boolean } | undefined;
  log(appId: string, line: string): void;
  timeoutMs?: number;
}

const page = (title: string, text: string) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body style="font-family:sans-serif;max-width:40em;margin:4em auto"><h1>${title}</h1><p>${text}</p></body></html>`;
const VALID_REQUEST_ID = /^[\w+=/@.-]{20,200}$/;

export function createRouter(o: RouterOptions): http.Server {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const next = new Map<string, number>();
  const suffix = `.${o.domain}`;
  const timeoutMs = o.timeoutMs ?? 30_000;

  let port = '';
  // The listening port, looked up once (getsockname per request is measurable under load).
  const listenPort = () => port || (port = String((server.address() as AddressInfo | null)?.port ?? ''));
  const server = http.createServer((req, res) => {
    const start = Date.now();
    const host = (req.headers.host ?? '').replace(/:\d+$/, '').toLowerCase();
    const name = host.endsWith(suffix) ? host.slice(0, -suffix.length) : '';
    const target = name ? o.lookup(name) : undefined;
    // An internal-routing app answers only inside its space: to the router it does not exist.
    if (!target || target.internal) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(page('No such app', `There is no app at ${host || 'this address'}.`));
      return;
    }
    const remote = req.socket.remoteAddress ?? '';
    if (target.trusted && !isTrusted(target.trusted, remote)) {
      o.log(target.appId, `at=info code=forbidden desc="Client address ${remote} is outside the space's trusted IP ranges" method=${req.method} path="${req.url}" host=${host} status=403`);
      res.writeHead(403, { 'content-type': 'text/html; charset=utf-8' }).end(page('Forbidden', 'This app is in a private space that does not accept requests from your address (trusted IP ranges).'));
      return;
    }
    if (!target.targets.length) {
      o.log(target.appId, `at=error code=H14 desc="No web processes running" method=${req.method} path="${req.url}" host=${host} status=503`);
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '5' }).end(page('Application unavailable', 'No web dyno is running for this app right now. Try again in a moment.'));
      return;
    }
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    // The request's own header object, amended in place (no copy per request).
    const headers = req.headers;
    headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${remote}` : remote;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-port'] = listenPort();
    headers['x-request-id'] = requestId;
    headers['x-request-start'] = String(start);
    headers.via = '1.1 slipway';
    const fail = (status: number, code: string, desc: string) => {
      o.log(target.appId, `at=error code=${code} desc="${desc}" method=${req.method} path="${req.url}" host=${host} request_id=${requestId} status=${status} service=${Date.now() - start}ms`);
      if (!res.headersSent) res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'x-request-id': requestId }).end(page('Application error', desc));
      else res.destroy();
    };
    // A GET or HEAD that never reached a dyno (it was stopping, say) is safe to send to another one.
    const retryable = req.method === 'GET' || req.method === 'HEAD';
    const send = (attempt: number) => {
      const targets = attempt === 0 ? target.targets : o.lookup(name)?.targets ?? [];
      if (!targets.length) return fail(503, 'H14', 'No web processes running');
      const i = (next.get(name) ?? 0) % targets.length;
      next.set(name, i + 1);
      let answered = false;
      const upstream = http.request({ host: targets[i]!.host, port: targets[i]!.port, method: req.method, path: req.url, headers, agent }, (up) => {
        answered = true;
        upstream.setTimeout(0);
        up.headers['x-request-id'] = requestId;
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      // 30 s to the first byte (H12), on the socket's own timer rather than one more per request.
      upstream.setTimeout(timeoutMs, () => { upstream.destroy(); if (!answered) fail(503, 'H12', 'Request timeout'); });
      upstream.on('error', () => {
        if (res.writableEnded) return;
        if (!answered && retryable && attempt < 2) return send(attempt + 1);
        fail(503, 'H13', 'Connection closed without response');
      });
      if (retryable) upstream.end(); else req.pipe(upstream);
    };
    send(0);
  });
  return server;
}
