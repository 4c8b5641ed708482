// A TCP relay the server runs on the default network's gateway: how an app's or a run's sandboxes
// reach a database the operator runs on this host (SLIPWAY_ADDON_POSTGRES_URL), which the
// firewall otherwise keeps out of every namespace's reach. Only the owner's addresses may connect
// (the `relays` set in default-rules.ts).
import net from 'node:net';
import { sleep } from '../core/sleep.js';

export interface TcpRelay { port: number; close(): Promise<void> }

/**
 * Listen on address:port (0: any free port) and pipe every connection to the target. A port still
 * held (EADDRINUSE: a killed process's socket not yet gone) is tried again every 250 ms for up to
 * `retryMs`, then the error says who to look for.
 */
export async function startTcpRelay(address: string, port: number, target: { host: string; port: number }, retryMs = 0): Promise<TcpRelay> {
  const until = Date.now() + retryMs;
  for (;;) {
    try {
      return await listenRelay(address, port, target);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      if (Date.now() >= until) throw new Error(`${address}:${port} is still in use after ${retryMs / 1000} s (another process holds it: see \`ss -ltnp 'sport = :${port}'\`)`, { cause: e });
      await sleep(Math.min(250, until - Date.now()));
    }
  }
}

function listenRelay(address: string, port: number, target: { host: string; port: number }): Promise<TcpRelay> {
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    open.add(client).add(upstream);
    const end = () => { client.destroy(); upstream.destroy(); open.delete(client); open.delete(upstream); };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.removeListener('error', reject);
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () => new Promise<void>((r) => { for (const s of open) s.destroy(); server.close(() => r()); }),
      });
    });
  });
}
