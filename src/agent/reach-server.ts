// How this host reaches the server: the local address of a connection to it (the agent's default
// advertised address) and the server's address as seen from here (the router's, by default).
import net from 'node:net';

/** Connect once to the server's host and port; rejects when it cannot be reached within 10 s. */
export function reachServer(serverUrl: string): Promise<{ local: string; remote: string }> {
  const u = new URL(serverUrl);
  const port = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: u.hostname.replace(/^\[|\]$/g, ''), port, timeout: 10_000 });
    s.once('connect', () => {
      const seen = { local: (s.localAddress ?? '').replace(/^::ffff:/, ''), remote: (s.remoteAddress ?? '').replace(/^::ffff:/, '') };
      s.destroy();
      resolve(seen);
    });
    s.once('timeout', () => { s.destroy(); reject(new Error(`no answer from ${u.host} within 10 s`)); });
    s.once('error', (e) => { s.destroy(); reject(e); });
  });
}
