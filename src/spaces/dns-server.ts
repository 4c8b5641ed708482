// A space's resolver: UDP on the gateway address, port 53, answering from the live dyno registry.
import dgram from 'node:dgram';
import { parseQuery, buildResponse, RCODE } from './dns-packet.js';
import { answer, type ZoneEntry } from './dns-zone.js';

export interface DnsResponder { close(): Promise<void> }

export function startDns(address: string, entries: () => Iterable<ZoneEntry>): Promise<DnsResponder> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  sock.on('message', (msg, from) => {
    const q = parseQuery(msg);
    if (!q) return; // not a query: no answer, as a resolver would do
    const r = q.cls === 1 ? answer(entries(), q.name, q.type) : { rcode: RCODE.refused, addresses: [] };
    sock.send(buildResponse(msg, q, r.rcode, r.addresses), from.port, from.address);
  });
  return bindPort53(sock, address);
}

/** Bind a resolver's socket to address:53; once bound, no peer's error can take the server down. */
export function bindPort53(sock: dgram.Socket, address: string): Promise<DnsResponder> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(53, address, () => {
      sock.removeListener('error', reject);
      sock.on('error', () => { /* a bad peer must not take the server down */ });
      resolve({ close: () => new Promise<void>((r) => sock.close(() => r())) });
    });
  });
}
