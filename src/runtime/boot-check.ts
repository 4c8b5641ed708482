// Is a process serving yet? A TCP connect for the boot check ($PORT bound), a GET for the optional
// health-check path; also used to see the nginx data plane listening.
import net from 'node:net';
import http from 'node:http';

/** True once something accepts connections on host:port. */
export const canConnect = (host: string, port: number): Promise<boolean> => new Promise((resolve) => {
  const s = net.connect(port, host, () => { s.destroy(); resolve(true); });
  s.on('error', () => resolve(false));
});

/** GET `path`; true for a 2xx answer within 5 s. */
export const answers2xx = (host: string, port: number, path: string): Promise<boolean> => new Promise((resolve) => {
  const req = http.get({ host, port, path, timeout: 5000, agent: false }, (res) => { res.resume(); resolve((res.statusCode ?? 500) < 300 && (res.statusCode ?? 0) >= 200); });
  req.on('error', () => resolve(false));
  req.on('timeout', () => { req.destroy(); resolve(false); });
});
