// The lines of nginx's access log that nginx could not write as Heroku lines itself (tab-separated
// fields, see LOG_FIELDS in nginx-conf.ts) → the Node router's log lines, so `slipway logs` reads
// the same whichever data plane served the request.
import { accessLine, errorLine } from '../router-log.js';
import { LOG_FIELDS } from './nginx-conf.js';

type Entry = Record<keyof typeof LOG_FIELDS, string>;
const FIELDS = Object.keys(LOG_FIELDS).length;

/** The last of nginx's per-attempt lists ("a, b" for retries, "a : b" across internal redirects). */
const last = (v: string): string => {
  // One attempt (nearly every request): no list to split, and split() with a regex is what this costs per line.
  if (!v.includes(',') && !v.includes(' : ')) return v === '-' ? '' : v.trim();
  const parts = v.split(/\s*,\s*|\s+:\s+/).filter((p) => p && p !== '-');
  return parts[parts.length - 1] ?? '';
};
const ms = (seconds: string): number => { const n = Number(last(seconds)); return Number.isFinite(n) ? Math.round(n * 1000) : 0; };

/** A value as nginx wrote it (escape=json): unescaped only when it holds an escape, which nearly none does. */
const u = (v: string): string => (v.includes('\\') ? JSON.parse(`"${v}"`) as string : v);

/** The fields of one access log line (tab-separated, see LOG_FIELDS), or undefined. */
export function parseEntry(line: string): Entry | undefined {
  const v = line.split('\t');
  if (v.length !== FIELDS) return undefined;
  try {
    // Written out, in LOG_FIELDS' order: this runs for every request.
    return {
      app: u(v[0]!), method: u(v[1]!), path: u(v[2]!), host: u(v[3]!), request_id: u(v[4]!), fwd: u(v[5]!), remote: u(v[6]!), upstream: u(v[7]!),
      upstream_status: u(v[8]!), connect: u(v[9]!), request_time: u(v[10]!), status: u(v[11]!), bytes: u(v[12]!), page: u(v[13]!), scheme: u(v[14]!), msec: v[15]!,
    };
  } catch { return undefined; }
}

/**
 * The app and its router log line for one request, as the Node router would have written it:
 * nginx's own 503s after an upstream timeout or failure become H12/H13; the page the balancer sent
 * the request to says the rest: a client outside a space's trusted ranges, maintenance (H80), no web
 * dyno (H14).
 */
export function routerLogLine(e: Entry, dynoAt: (addr: string) => string | undefined): { appId: string; line: string } | undefined {
  if (!e.app) return undefined;
  const status = Number(e.status);
  const upstream = last(e.upstream);
  const { method, path, host } = e;
  const dyno = upstream ? dynoAt(upstream) ?? upstream : undefined;
  const total = ms(e.request_time);
  const connectMs = ms(e.connect);
  // Fields are written out, not spread: spreading an object JSON.parse made cost more than the rest of the line (this runs for every request).
  if (e.page === 'refused') {
    return { appId: e.app, line: errorLine({ method, path, host, code: 'forbidden', desc: `Client address ${e.remote} is outside the space's trusted IP ranges`, status }) };
  }
  if (e.page === 'maintenance') return { appId: e.app, line: errorLine({ method, path, host, code: 'H80', desc: 'Maintenance mode', status }) };
  if (e.page === 'idle') return { appId: e.app, line: errorLine({ method, path, host, code: 'H14', desc: 'No web processes running', status }) };
  const upStatus = last(e.upstream_status);
  if (status === 503 && (upStatus === '504' || upStatus === '502')) {
    const [code, desc] = upStatus === '504' ? ['H12', 'Request timeout'] : ['H13', 'Connection closed without response'];
    return { appId: e.app, line: errorLine({ method, path, host, code, desc, requestId: e.request_id, fwd: e.fwd, dyno, status, serviceMs: total }) };
  }
  // A WebSocket's line is written when it closes; what flowed after the 101 is not the response's body (the Node router says bytes=0 too).
  return {
    appId: e.app,
    line: accessLine({ method, path, host, requestId: e.request_id, fwd: e.fwd, dyno: dyno ?? '', connectMs, serviceMs: Math.max(0, total - connectMs), status, bytes: status === 101 ? 0 : Number(e.bytes) || 0, protocol: e.scheme === 'https' ? 'https' : 'http' }),
  };
}
