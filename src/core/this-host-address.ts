// Addresses that mean "this machine" to whoever connects to them: loopback (127.0.0.0/8, ::1, an
// IPv4-mapped one, `localhost` names) and unspecified (0.0.0.0/8, ::), which Linux connects to the
// local host too. The router runs on the server's host: sent there on a remote agent's word, it
// would reach the server host's own services, so only the server's local agent may report them.
import net from 'node:net';

const THIS_HOST = new net.BlockList();
THIS_HOST.addSubnet('127.0.0.0', 8, 'ipv4');
THIS_HOST.addSubnet('0.0.0.0', 8, 'ipv4');
THIS_HOST.addAddress('::1', 'ipv6');
THIS_HOST.addAddress('::', 'ipv6');
THIS_HOST.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');
THIS_HOST.addSubnet('::ffff:0.0.0.0', 104, 'ipv6');

/** Whether connecting to `host` reaches the connecting machine itself. */
export function meansThisHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const kind = net.isIP(h);
  return kind === 4 ? THIS_HOST.check(h, 'ipv4') : kind === 6 ? THIS_HOST.check(h, 'ipv6') : false;
}
