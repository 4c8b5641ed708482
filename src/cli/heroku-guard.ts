// Preloaded into the official heroku CLI by `slipway heroku` (NODE_OPTIONS=--import): the CLI may
// open connections to loopback only (the bridge to the Slipway server). Some of its commands call
// Heroku-owned hosts no setting redirects (metrics, kolkrabbi); the Slipway token must never go there.
import dns from 'node:dns';
import net from 'node:net';

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const refusal = (host: string): NodeJS.ErrnoException => Object.assign(
  new Error(`slipway heroku: refused to connect to ${host}: this CLI talks to the Slipway server through its loopback bridge only (the command needs a Heroku-owned service Slipway does not replace)`),
  { code: 'ECONNREFUSED', hostname: host, syscall: 'connect' },
);

const lookup = dns.lookup;
(dns as { lookup: unknown }).lookup = function guarded(this: unknown, host: string, ...rest: unknown[]): void {
  const callback = rest[rest.length - 1] as (err: NodeJS.ErrnoException) => void;
  if (LOOPBACK.test(host)) return (lookup as (...a: unknown[]) => void).apply(this, [host, ...rest]);
  process.nextTick(() => callback(refusal(host)));
};

// An address literal skips the lookup: checked where every TCP connection starts.
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const first = args[0];
  const opts = (Array.isArray(first) ? first[0] : first) as { host?: string; path?: string } | number | string;
  const host = typeof opts === 'object' && opts !== null ? (opts.path ? undefined : opts.host ?? 'localhost') : typeof opts === 'number' ? (typeof args[1] === 'string' ? args[1] : 'localhost') : undefined;
  if (host !== undefined && !LOOPBACK.test(host) && net.isIP(host)) {
    process.nextTick(() => this.destroy(refusal(host)));
    return this;
  }
  return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;
