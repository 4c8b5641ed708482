// The router: one HTTP listener that sends `<app>.<domain>` to the app's web dynos, round robin,
// with Heroku's forwarding headers, a 30 s first-byte timeout (H12) and clear error pages.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface RouterOptions {
  domain: string;
  /** App id and web ports for an app name, or undefined when no such app exists. */
  lookup(appName: string): { appId: string; ports: number[] } | undefined;
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
    if (!target) {
      res.writeHead(404, { 'content-type': 'text/html; charset=utf-8' }).end(page('No such app', `There is no app at ${host || 'this address'}.`));
      return;
    }
    if (!target.ports.length) {
      o.log(target.appId, `at=error code=H14 desc="No web processes running" method=${req.method} path="${req.url}" host=${host} status=503`);
      res.writeHead(503, { 'content-type': 'text/html; charset=utf-8', 'retry-after': '5' }).end(page('Application unavailable', 'No web dyno is running for this app right now. Try again in a moment.'));
      return;
    }
    const given = req.headers['x-request-id'];
    const requestId = typeof given === 'string' && VALID_REQUEST_ID.test(given) ? given : randomUUID();
    const remote = req.socket.remoteAddress ?? '';
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
      const ports = attempt === 0 ? target.ports : o.lookup(name)?.ports ?? [];
      if (!ports.length) return fail(503, 'H14', 'No web processes running');
      const i = (next.get(name) ?? 0) % ports.length;
      next.set(name, i + 1);
      let answered = false;
      const upstream = http.request({ host: '127.0.0.1', port: ports[i]!, method: req.method, path: req.url, headers, agent }, (up) => {
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
