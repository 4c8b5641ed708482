// Requests in flight to a dyno the router reaches directly (the local agent process: the router is on
// this host, see agent-dynos.ts; the nginx data plane for a dyno that left its table): the host's open
// TCP connections to the dyno's address and port, established or being opened. The router closes an
// idle upstream connection within a second (nginx keepalive_timeout), so none open means none in
// flight, and the count does not die with this process as a relay's would.
import fs from 'node:fs';

/** /proc/net/tcp's states that hold or will hold a request: ESTABLISHED, SYN_SENT. */
const OPEN = new Set(['01', '02']);

/** `/proc/net/tcp`'s hex `0100007F:1F90` for 127.0.0.1:8080. */
export function hexEndpoint(host: string, port: number): string {
  const octets = host.split('.').map(Number);
  const ip = octets.reverse().map((o) => o.toString(16).padStart(2, '0')).join('').toUpperCase();
  return `${ip}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** Open connections in a /proc/net/tcp table per remote end (hexEndpoint). */
export function connectionCounts(table: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[2] && OPEN.has(f[3] ?? '')) out.set(f[2], (out.get(f[2]) ?? 0) + 1);
  }
  return out;
}

/** Open connections in a /proc/net/tcp table whose remote end is `host:port`. */
export const connectionsTo = (table: string, host: string, port: number): number => connectionCounts(table).get(hexEndpoint(host, port)) ?? 0;

/** This host's open connections per remote end (IPv4; none when /proc cannot tell). */
export function openConnectionCounts(): Map<string, number> {
  try { return connectionCounts(fs.readFileSync('/proc/net/tcp', 'latin1')); } catch { return new Map(); }
}

/** This host's open connections to `host:port`. */
export const openConnections = (host: string, port: number): number => openConnectionCounts().get(hexEndpoint(host, port)) ?? 0;
