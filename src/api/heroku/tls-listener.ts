// An optional HTTPS listener serving the same API as the plain one. The heroku CLI fetches CI
// output streams with node's https module only, so `ci:info` needs Slipway reachable over TLS.
import fs from 'node:fs';
import https from 'node:https';
import type { FastifyInstance } from 'fastify';

export interface TlsListener { port: number; close(): Promise<void> }

export async function listenTls(app: FastifyInstance, tls: { port: number; certFile: string; keyFile: string }, host: string): Promise<TlsListener> {
  const server = https.createServer({ cert: fs.readFileSync(tls.certFile), key: fs.readFileSync(tls.keyFile) }, (req, res) => app.routing(req, res));
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(tls.port, host, () => resolve()); });
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}
