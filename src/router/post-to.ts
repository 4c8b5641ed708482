// A POST from a router process to its server (router-process.ts, nginx-log-worker.ts).
import http from 'node:http';
import https from 'node:https';
import type { LogBatchText } from './log-shipper.js';
import { DROPPED_APPS_HEADER, LOGS_PATH, droppedAppsHeader } from './router-wire.js';

/** POST a body to the server, in parts (a log batch of up to a few MiB goes as it is kept, not copied); fails on a status that is not 2xx, or after 10 s. */
export function postTo(url: string, token: string, parts: Array<Buffer | string>, type: string, headers?: Record<string, string>): Promise<void> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = (u.protocol === 'https:' ? https : http).request(u, {
      method: 'POST', timeout: 10_000, headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': type, 'content-length': parts.reduce((n, p) => n + Buffer.byteLength(p), 0) },
    }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode! >= 200 && res.statusCode! < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode} from ${u.pathname}`))));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${u.pathname} in 10 s`)));
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}

/** A sender of log batches to the server's router log route. */
export function logBatchSender(server: string, token: string, post = postTo) {
  return (b: LogBatchText): Promise<void> => post(`${server}${LOGS_PATH}?dropped=${b.dropped}`, token, b.parts, 'text/plain; charset=utf-8', b.droppedApps.length ? { [DROPPED_APPS_HEADER]: droppedAppsHeader(b.droppedApps) } : undefined);
}
