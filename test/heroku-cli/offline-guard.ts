// Preloaded into the heroku CLI by the tests (NODE_OPTIONS=--import): every DNS lookup of a name
// other than loopback fails as it does on a closed network. Some CLI commands call Heroku-owned
// hosts no setting can redirect (metrics, kolkrabbi); this keeps the Slipway token from ever
// leaving the machine, even where a test machine has internet access.
import dns from 'node:dns';

const original = dns.lookup;
const LOCAL = /^(localhost|127\.\d+\.\d+\.\d+|::1)$/;

function guardedLookup(this: unknown, host: string, ...rest: unknown[]): void {
  const callback = rest[rest.length - 1] as (err: NodeJS.ErrnoException) => void;
  if (LOCAL.test(host)) return (original as (...a: unknown[]) => void).apply(this, [host, ...rest]);
  const err: NodeJS.ErrnoException = Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND', hostname: host, syscall: 'getaddrinfo' });
  process.nextTick(() => callback(err));
}

(dns as { lookup: unknown }).lookup = guardedLookup;
