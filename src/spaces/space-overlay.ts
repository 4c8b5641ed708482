// A space that spans hosts: each host's bridge of the space is joined to the others by a VXLAN
// device of its own (one VNI per space, the spaces' UDP port, over the agents' advertised
// addresses), routed, not bridged, as flannel's VXLAN backend does: every other host's slice of the
// range is a route through the device to a next hop whose MAC (and that MAC's host) are written
// statically, so nothing is learned from what arrives and no ARP crosses hosts. The host answers
// its dynos' ARP for the other hosts' slices (proxy ARP on the bridge) and forwards between the
// bridge and the device; the firewall (nft-rules.ts) lets only that pair through and accepts the
// VXLAN port only from the peers' addresses.
import { createHash } from 'node:crypto';
import { formatIp, spaceSlice, SLICE_BITS, type Cidr } from './cidr.js';
import { bridgeTool, ip, quietly, setNetSysctl } from './net.js';

/** The UDP port of every space's VXLAN device (IANA's VXLAN port). */
export const VXLAN_PORT = 4789;

export interface OverlayPeer { address: string; slice: number }

export interface Overlay { name: string; spaceId: string; vni: number; cidr: Cidr; bridge: string; local: string; peers: OverlayPeer[] }

/** The MAC of host `address`'s VXLAN device of a space: derived, so every host writes the others' without asking. */
export function vtepMac(spaceId: string, address: string): string {
  const bytes = [...createHash('sha256').update(`${spaceId} ${address}`).digest().subarray(0, 5)];
  return ['02', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/** What identifies an overlay's set-up: made again when it changes (a peer came or went). */
export const overlayKey = (o: Overlay): string => JSON.stringify([o.vni, o.local, o.peers.map((p) => `${p.address}/${p.slice}`).sort()]);

/** Make the space's VXLAN device and the routes to its peers' slices, replacing one of that name. */
export async function makeOverlay(o: Overlay): Promise<void> {
  await quietly(ip(['link', 'del', o.name]));
  await ip([], [
    `link add ${o.name} address ${vtepMac(o.spaceId, o.local)} type vxlan id ${o.vni} local ${o.local} dstport ${VXLAN_PORT} nolearning`,
    `link set ${o.name} up`,
    ...o.peers.flatMap((p) => {
      const slice = spaceSlice(o.cidr, p.slice);
      const hop = formatIp(slice.base);
      return [`neigh replace ${hop} lladdr ${vtepMac(o.spaceId, p.address)} dev ${o.name} nud permanent`, `route replace ${hop}/${SLICE_BITS} via ${hop} dev ${o.name} onlink`];
    }),
  ]);
  for (const p of o.peers) await bridgeTool(['fdb', 'replace', vtepMac(o.spaceId, p.address), 'dev', o.name, 'dst', p.address, 'self', 'permanent']);
  // The host routes between the bridge and the device, and answers the dynos' ARP for the other hosts' slices.
  setNetSysctl('ipv4/ip_forward', '1');
  setNetSysctl(`ipv4/conf/${o.bridge}/proxy_arp`, '1');
}

export const removeOverlay = (name: string): Promise<void> => quietly(ip(['link', 'del', name]));
