// Requests in flight to a dyno the router reaches directly (the local agent process: the router is on
// this host, see agent-dynos.ts): the host's open TCP connections to the dyno's address and port.
// The router closes an idle upstream connection within a second (nginx keepalive_timeout), so none
// open means none in flight, and the count does not die with this process as a relay's would.
import fs from 'node:fs';

const ESTABLISHED = '01';

/** `/proc/net/tcp`'s hex `0100007F:1F90` for 127.0.0.1:8080. */
export function hexEndpoint(host: string, port: number): string {
  const octets = host.split('.').map(Number);
  const ip = octets.reverse().map((o) => o.toString(16).padStart(2, '0')).join('').toUpperCase();
  return `${ip}:${port.toString(16).padStart(4, '0').toUpperCase()}`;
}

/** Established connections in a /proc/net/tcp table whose remote end is `host:port`. */
export function connectionsTo(table: string, host: string, port: number): number {
  const want = hexEndpoint(host, port);
  let n = 0;
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f[2] === want && f[3] === ESTABLISHED) n++;
  }
  return n;
}

/** This host's established connections to `host:port` (IPv4; 0 when /proc cannot tell). */
export function openConnections(host: string, port: number): number {
  try { return connectionsTo(fs.readFileSync('/proc/net/tcp', 'latin1'), host, port); } catch { return 0; }
}
