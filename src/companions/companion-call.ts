// JSON calls over a companion's socket, both sides: the local agent process serves POST routes with
// a JSON body (companion-addons.ts, companion-spaces.ts), the server beside it posts to them.
import http from 'node:http';
import type { CompanionRoutes } from './identity-socket.js';

/** Bodies stay small (a space plan is the largest: every space and every app in one); a bigger one is cut off. */
const MAX_BODY = 1024 * 1024;

/** One route: its JSON body (parsed, not yet validated) in, its answer out; a throw before any work is a 400. */
export type JsonRoute = (body: unknown) => Promise<unknown>;

/** A validation failure (a 400, not a 500). */
export class BadCall extends Error {}

/** Serve `routes()` (POST only); 503 while it is undefined (the agent is still setting up its host). */
export function jsonRoutes(routes: () => Record<string, JsonRoute> | undefined): CompanionRoutes {
  return (req, res) => {
    const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { text += c; if (text.length > MAX_BODY) req.destroy(); });
    req.on('end', () => {
      const all = routes();
      if (!all) { answer(503, { message: 'the agent is still setting up its host' }); return; }
      const route = req.method === 'POST' ? all[req.url ?? ''] : undefined;
      if (!route) { answer(404, { message: `no route ${req.method} ${req.url}` }); return; }
      let json: unknown;
      try { json = JSON.parse(text); } catch (e) { answer(400, { message: (e as Error).message }); return; }
      route(json).then((r) => answer(200, r ?? {}), (e: Error) => answer(e instanceof BadCall || e.name === 'ZodError' ? 400 : 500, { message: e.message }));
    });
  };
}

/** POST `body` to `route` on the companion's socket; rejects with its message, or says the process is not running. */
export function postCompanion<T>(socket: string, route: string, body: unknown, o: { timeoutMs: number; runs: string }): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, path: route, method: 'POST', timeout: o.timeoutMs, headers: { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { text += c; });
      res.on('end', () => {
        let json: { message?: string } = {};
        try { json = JSON.parse(text) as typeof json; } catch { /* said below */ }
        if (res.statusCode === 200) resolve(json as T);
        else reject(new Error(json.message ?? `the local agent process answered ${res.statusCode}`));
      });
    });
    req.on('timeout', () => req.destroy(new Error(`the local agent process did not answer within ${o.timeoutMs / 1000} s`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED'
      ? new Error(`the local agent process (which runs ${o.runs}) is not running; see the server log`) : e));
    req.end(JSON.stringify(body));
  });
}
