// An optional TLS listener beside the plain one. It serves the same API over HTTPS (the heroku CLI
// fetches CI output streams with node's https module only) and, on the same port, the heroku
// CLI's rendezvous protocol for `heroku run`: a TLS socket whose first line is not an HTTP request.
import fs from 'node:fs';
import http from 'node:http';
import tls from 'node:tls';
import type { FastifyInstance } from 'fastify';

export interface TlsListener { port: number; close(): Promise<void> }

const HTTP_REQUEST_LINE = /^[A-Z]{3,7} \S+ HTTP\/1\.[01]\r?\n/;

export async function listenTls(
  app: FastifyInstance, opts: { port: number; certFile: string; keyFile: string }, host: string, rendezvous: (socket: tls.TLSSocket) => void,
): Promise<TlsListener> {
  const api = http.createServer((req, res) => app.routing(req, res));
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({ cert: fs.readFileSync(opts.certFile), key: fs.readFileSync(opts.keyFile) }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let head = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      head = Buffer.concat([head, chunk]);
      if (!head.includes(0x0a) && head.length < 8192) return;
      socket.off('data', sniff);
      socket.pause();
      socket.unshift(head);
      if (HTTP_REQUEST_LINE.test(head.subarray(0, head.indexOf(0x0a) + 1).toString('latin1'))) api.emit('connection', socket);
      else rendezvous(socket);
      socket.resume();
    };
    socket.on('data', sniff);
  });
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(opts.port, host, () => resolve()); });
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); api.close(); server.close(() => r()); }),
  };
}
