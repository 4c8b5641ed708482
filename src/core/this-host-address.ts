// Addresses that mean "this machine" to whoever connects to them: loopback (127.0.0.0/8, ::1, an
// IPv4-mapped one, `localhost` names), unspecified (0.0.0.0/8, ::), which Linux connects to the
// local host too, and every address of this host's own interfaces (its bridges, its public
// address). A router sent there on a remote agent's word would reach its own host's services, so
// only the agent on the router's own host (the server's local agent) may have dynos there.
import net from 'node:net';
import os from 'node:os';

const THIS_HOST = new net.BlockList();
THIS_HOST.addSubnet('127.0.0.0', 8, 'ipv4');
THIS_HOST.addSubnet('0.0.0.0', 8, 'ipv4');
THIS_HOST.addAddress('::1', 'ipv6');
THIS_HOST.addAddress('::', 'ipv6');
THIS_HOST.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
THIS_HOST.addSubnet('::ffff:0.0.0.0', 104, 'ipv6');

// Addresses no dyno is ever at: link-local (cloud metadata services answer there, with the host's
// credentials), multicast and broadcast.
const NEVER_A_DYNO = new net.BlockList();
NEVER_A_DYNO.addSubnet('169.254.0.0', 16, 'ipv4');
NEVER_A_DYNO.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER_A_DYNO.addAddress('255.255.255.255', 'ipv4');
NEVER_A_DYNO.addSubnet('fe80::', 10, 'ipv6');
NEVER_A_DYNO.addSubnet('ff00::', 8, 'ipv6');
NEVER_A_DYNO.addSubnet('::ffff:169.254.0.0', 112, 'ipv6');
NEVER_A_DYNO.addSubnet('::ffff:224.0.0.0', 100, 'ipv6');

const bare = (host: string): string => host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');

/** Whether connecting to `host` reaches the connecting machine itself, whatever machine that is. */
export function meansThisHost(host: string): boolean {
  const h = bare(host);
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const kind = net.isIP(h);
  return kind === 4 ? THIS_HOST.check(h, 'ipv4') : kind === 6 ? THIS_HOST.check(h, 'ipv6') : false;
}

/** Whether `host` is an address no dyno is at on any host: link-local (the cloud's metadata service), multicast, broadcast. */
export function neverADyno(host: string): boolean {
  const h = bare(host).replace(/%.*$/, '');
  const kind = net.isIP(h);
  return kind === 4 ? NEVER_A_DYNO.check(h, 'ipv4') : kind === 6 ? NEVER_A_DYNO.check(h, 'ipv6') : false;
}

/** The addresses of this host's interfaces now (read each time: bridges come and go), IPv4-mapped forms included. */
function ownAddresses(): Set<string> {
  const all = Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.toLowerCase().replace(/%.*$/, '')));
  return new Set([...all, ...all.filter((a) => net.isIPv4(a)).map((a) => `::ffff:${a}`)]);
}

/**
 * A check of whether `host` (an IP address) reaches this machine, on its interfaces as they are now
 * (for many checks at once). The interfaces are read at the first address that is not loopback or
 * unspecified (0.5 ms with a dozen interfaces: a routing table of loopback dynos, or none, reads none).
 */
export function thisHostCheck(): (host: string) => boolean {
  let own: Set<string> | undefined;
  return (host) => meansThisHost(host) || (own ??= ownAddresses()).has(bare(host));
}

/** Whether `host` (an IP address) reaches this machine: loopback, unspecified, or one of its interfaces' addresses. */
export function reachesThisHost(host: string): boolean {
  return thisHostCheck()(host);
}
