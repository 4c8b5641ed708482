// The default network's resolver: UDP on the gateway, port 53, relaying each query to the host's
// own nameservers (which may be on the host's loopback, out of a namespace's reach) and the answer
// back. Bounded: a sandbox flooding it gets no more than MAX_IN_FLIGHT sockets of the server's.
import dgram from 'node:dgram';
import fs from 'node:fs';
import { bindPort53, type DnsResponder } from './dns-server.js';
import { buildResponse, parseQuery, RCODE, TYPE_A } from './dns-packet.js';

const MAX_IN_FLIGHT = 256;
const TIMEOUT_MS = 5000;

export type DnsRelay = DnsResponder;

/** The nameservers of the host's /etc/resolv.conf (IPv4), or 127.0.0.1 when it names none. */
export function hostNameservers(file = '/etc/resolv.conf'): string[] {
  let text = '';
  try { text = fs.readFileSync(file, 'utf8'); } catch { /* no resolver configured */ }
  const found = [...text.matchAll(/^\s*nameserver\s+(\d+\.\d+\.\d+\.\d+)\s*$/gm)].map((m) => m[1]!);
  return found.length ? found : ['127.0.0.1'];
}

/**
 * Relay DNS queries arriving on address:53 to the upstream nameservers (the first answer wins).
 * `local(name)` answers a name itself (apps' public names: the router's door), else undefined.
 */
export function startDnsRelay(address: string, upstreams: string[], local: (name: string) => string | undefined = () => undefined): Promise<DnsRelay> {
  const sock = dgram.createSocket({ type: 'udp4', reuseAddr: false });
  let inFlight = 0;
  sock.on('message', (msg, from) => {
    if (inFlight >= MAX_IN_FLIGHT || msg.length < 12) return;
    const q = parseQuery(msg);
    const mine = q && q.cls === 1 ? local(q.name.toLowerCase()) : undefined;
    if (q && mine) { sock.send(buildResponse(msg, q, RCODE.ok, q.type === TYPE_A ? [mine] : []), from.port, from.address); return; }
    inFlight++;
    const up = dgram.createSocket('udp4');
    let done = false;
    const finish = () => { if (done) return; done = true; inFlight--; clearTimeout(timer); up.close(); };
    const timer = setTimeout(finish, TIMEOUT_MS);
    up.on('error', finish);
    up.on('message', (answer) => { sock.send(answer, from.port, from.address); finish(); });
    for (const u of upstreams) up.send(msg, 53, u);
  });
  return bindPort53(sock, address);
}
