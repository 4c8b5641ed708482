// A companion process (the router, the local agent) answers on a local socket who it is: the
// server that started it checks this before it adopts or stops a pid after a restart, so a
// recycled pid is never taken for its companion.
import fs from 'node:fs';
import http from 'node:http';

export interface CompanionIdentity { kind: string; instance: string; pid: number; version: string; ready: boolean }

/** What else a companion answers on its socket (the local agent: its host's app add-on servers, companion-addons.ts). */
export type CompanionRoutes = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** Serve `GET /identity` (and `routes`) on a unix socket (replacing a stale socket file); resolves with a close function. */
export async function serveIdentity(socket: string, identity: () => CompanionIdentity, routes?: CompanionRoutes): Promise<() => Promise<void>> {
  fs.rmSync(socket, { force: true });
  const server = http.createServer((req, res) => {
    if (req.url !== '/identity' && routes) { routes(req, res); return; }
    if (req.url !== '/identity') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(identity()));
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(socket, () => resolve()); });
  fs.chmodSync(socket, 0o600);
  return () => new Promise<void>((r) => server.close(() => { fs.rmSync(socket, { force: true }); r(); }));
}

/** Ask a companion's socket who it is (undefined: nothing answers there). */
export function askIdentity(socket: string, timeoutMs = 2000): Promise<CompanionIdentity | undefined> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath: socket, path: '/identity', timeout: timeoutMs }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => { try { resolve(JSON.parse(body) as CompanionIdentity); } catch { resolve(undefined); } });
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

/** Started by `slipway server` as a companion (SLIPWAY_COMPANION_SOCKET/INSTANCE set): answer on the socket; else nothing. */
export async function companionIdentity(env: Record<string, string | undefined>, kind: string, version: string, ready: () => boolean = () => true, routes?: CompanionRoutes): Promise<(() => Promise<void>) | undefined> {
  const socket = env['SLIPWAY_COMPANION_SOCKET'];
  const instance = env['SLIPWAY_COMPANION_INSTANCE'];
  if (!socket || !instance || !/^[A-Za-z0-9_-]{1,64}$/.test(instance)) return undefined;
  return serveIdentity(socket, () => ({ kind, instance, pid: process.pid, version, ready: ready() }), routes);
}
