import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startTcpRelay } from './tcp-relay.js';

const listen = (port = 0): Promise<net.Server> => new Promise((resolve, reject) => {
  const s = net.createServer((c) => c.end('pong')).once('error', reject);
  s.listen(port, '127.0.0.1', () => resolve(s));
});
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const close = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));
const ask = (port: number): Promise<string> => new Promise((resolve, reject) => {
  let text = '';
  net.connect(port, '127.0.0.1').on('data', (d) => { text += String(d); }).on('end', () => resolve(text)).on('error', reject);
});

test('a relay whose port is still held waits for it (bounded) and then relays', { timeout: 10_000 }, async () => {
  const target = await listen();
  const holder = await listen();
  const port = portOf(holder);
  setTimeout(() => { void close(holder); }, 700);
  const started = Date.now();
  const relay = await startTcpRelay('127.0.0.1', port, { host: '127.0.0.1', port: portOf(target) }, 5000);
  assert.ok(Date.now() - started >= 600, 'it waited for the port');
  assert.equal(relay.port, port);
  assert.equal(await ask(port), 'pong');
  await relay.close();
  await close(target);
});

test('a port held longer than the bound fails with a clear error; without a bound at once', { timeout: 10_000 }, async () => {
  const holder = await listen();
  const port = portOf(holder);
  const started = Date.now();
  await assert.rejects(startTcpRelay('127.0.0.1', port, { host: '127.0.0.1', port: 1 }, 600), new RegExp(`127\\.0\\.0\\.1:${port} is still in use after 0\\.6 s`));
  assert.ok(Date.now() - started >= 550);
  await assert.rejects(startTcpRelay('127.0.0.1', port, { host: '127.0.0.1', port: 1 }), /still in use after 0 s/);
  await close(holder);
});
