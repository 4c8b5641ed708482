// The Node data plane against a real socket server: what its idle connections to a dyno may meet.
import test from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { createRouter } from './router.js';

const listen = (s: net.Server): Promise<number> => new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));

test('a POST never meets a dyno connection its server is closing for idleness: idle ones are dropped after 1 s', { timeout: 30_000 }, async () => {
  // A dyno that sends no Keep-Alive hint and closes a connection the moment a request arrives after
  // it was quiet for 1.5 s: what a server's idle timeout does when it fires as a request is on its
  // way. A GET that met it is retried; a POST cannot be, and would be a 503 (H13).
  const dyno = net.createServer((c) => {
    let quietSince = Date.now();
    c.on('data', () => {
      if (Date.now() - quietSince >= 1500) return c.destroy();
      c.write('HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nok\n');
      quietSince = Date.now();
    });
    c.on('error', () => {});
  });
  const dynoPort = await listen(dyno);
  const lines: string[] = [];
  const router = createRouter({
    domain: 'localhost',
    lookup: (name) => (name === 'idle' ? { appId: 'a1', dynos: [{ id: 'd1', host: '127.0.0.1', port: dynoPort, name: 'web.1' }] } : undefined),
    log: (_app, line) => lines.push(line),
  });
  const port = await listen(router);
  const send = (method: string) => new Promise<number>((resolve, reject) => {
    const req = http.request({ method, host: '127.0.0.1', port, path: '/', headers: { host: 'idle.localhost' }, agent: false }, (res) => { res.resume(); res.on('end', () => resolve(res.statusCode ?? 0)); });
    req.on('error', reject);
    req.end();
  });
  try {
    const posts: number[] = [];
    for (let i = 0; i < 3; i++) {
      assert.equal(await send('GET'), 200); // the router keeps this connection to the dyno for the next request
      await new Promise((r) => setTimeout(r, 2000)); // longer than the dyno keeps it
      posts.push(await send('POST'));
    }
    assert.deepEqual(posts, [200, 200, 200], `each POST went over a connection the dyno still held open: ${lines.join('\n')}`);
  } finally {
    router.closeAllConnections();
    await new Promise((r) => router.close(r));
    await new Promise((r) => dyno.close(r));
  }
});
