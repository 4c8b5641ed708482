import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { DynoForwarder } from './dyno-forwarder.js';

/** A "dyno" that answers each line after `delayMs`. */
async function echoAfter(delayMs: number): Promise<net.Server> {
  const server = net.createServer((s) => s.on('data', (c) => setTimeout(() => s.write(`re:${c}`), delayMs)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return server;
}
const connect = (port: number) => new Promise<net.Socket>((resolve, reject) => { const s = net.connect(port, '127.0.0.1', () => resolve(s)); s.once('error', reject); });
const firstData = (s: net.Socket) => new Promise<string>((r) => s.once('data', (c) => r(c.toString())));
const closed = (s: net.Socket) => new Promise<void>((r) => s.once('close', () => r()));

test('relays an allowed peer to the dyno, counting a request in flight until it is answered', { timeout: 10_000 }, async () => {
  const dyno = await echoAfter(300);
  const lines: string[] = [];
  const fwd = new DynoForwarder(new Set(['127.0.0.1']), (l) => lines.push(l));
  const d = { id: 'dyno-a', host: '127.0.0.1', port: (dyno.address() as net.AddressInfo).port };
  const port = await fwd.expose(d);
  assert.equal(await fwd.expose(d), port, 'one port per dyno');
  const s = await connect(port);
  s.write('hello');
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(fwd.inFlight('dyno-a'), 1, 'sent, not answered yet');
  assert.equal(await firstData(s), 're:hello');
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(fwd.inFlight('dyno-a'), 0, 'answered and quiet: an idle keep-alive connection does not hold a drain');
  fwd.retain(new Set());
  s.write('still');
  assert.equal(await firstData(s), 're:still', 'an open connection goes on after the port stops listening');
  s.destroy();
  fwd.closeAll();
  dyno.close();
  assert.deepEqual(lines, []);
});

test('a peer that is not the router is closed before anything reaches the dyno', { timeout: 10_000 }, async () => {
  let reached = 0;
  const dyno = net.createServer(() => { reached++; });
  await new Promise<void>((r) => dyno.listen(0, '127.0.0.1', () => r()));
  const lines: string[] = [];
  const fwd = new DynoForwarder(new Set(['10.0.0.1']), (l) => lines.push(l));
  const port = await fwd.expose({ id: 'dyno-b', host: '127.0.0.1', port: (dyno.address() as net.AddressInfo).port });
  const s = await connect(port);
  s.write('GET / HTTP/1.0\r\n\r\n');
  await closed(s);
  assert.equal(reached, 0);
  assert.match(lines.join('\n'), /refused a connection to dyno dyno-b from 127\.0\.0\.1/);
  fwd.closeAll();
  dyno.close();
});
