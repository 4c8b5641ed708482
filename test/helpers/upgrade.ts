// An Upgrade request through the router to examples/web-app's echo: the 101 head the client got,
// after checking that bytes flow both ways on the upgraded connection.
import net from 'node:net';
import assert from 'node:assert/strict';
import { waitFor } from './runs.js';

export async function upgradeEcho(routerPort: number, app: string): Promise<string> {
  const sock = net.connect(routerPort, '127.0.0.1');
  let got = '';
  sock.on('data', (c) => { got += c; });
  try {
    sock.write(`GET /ws HTTP/1.1\r\nHost: ${app}.localhost\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n`);
    await waitFor('101', async () => got.includes('\r\n\r\n'));
    const head = got;
    assert.match(head, /^HTTP\/1\.1 101 Switching Protocols/);
    sock.write('ping over the upgraded connection');
    await waitFor('the echo', async () => got.endsWith('ping over the upgraded connection'));
    return head;
  } finally { sock.destroy(); }
}
