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

/** What identifies an overlay's set-up: reconciled when it changes (a peer came or went). */
export const overlayKey = (o: Overlay): string => JSON.stringify([o.vni, o.local, o.peers.map((p) => `${p.address}/${p.slice}`).sort()]);

/** A VXLAN device as the kernel has it: its own settings and its static entries. */
export interface OverlayDevice {
  vni: number; local: string; mac: string;
  neigh: Array<{ dst: string; lladdr?: string }>;
  routes: Array<{ dst: string; gateway?: string }>;
  fdb: Array<{ mac: string; dst?: string }>;
}

/**
 * The `ip -batch` lines and `bridge fdb` calls that bring `now` (undefined: no such device) to `o`.
 * A device whose VNI, local address and MAC are right is kept, and only the peers that came or went
 * change: the other hosts' traffic goes on through it. New entries are written before stale ones go.
 */
export function overlayPlan(now: OverlayDevice | undefined, o: Overlay): { remake: boolean; ip: string[]; fdb: string[][] } {
  const mac = vtepMac(o.spaceId, o.local);
  const remake = !now || now.vni !== o.vni || now.local !== o.local || now.mac.toLowerCase() !== mac;
  const wanted = o.peers.map((p) => ({ hop: formatIp(spaceSlice(o.cidr, p.slice).base), mac: vtepMac(o.spaceId, p.address), address: p.address }));
  const ipLines = remake ? [`link add ${o.name} address ${mac} type vxlan id ${o.vni} local ${o.local} dstport ${VXLAN_PORT} nolearning`, `link set ${o.name} up`] : [];
  ipLines.push(...wanted.flatMap((w) => [`neigh replace ${w.hop} lladdr ${w.mac} dev ${o.name} nud permanent`, `route replace ${w.hop}/${SLICE_BITS} via ${w.hop} dev ${o.name} onlink`]));
  const fdb = wanted.map((w) => ['fdb', 'replace', w.mac, 'dev', o.name, 'dst', w.address, 'self', 'permanent']);
  if (now && !remake) {
    const hops = new Set(wanted.map((w) => w.hop));
    const routes = new Set(wanted.map((w) => `${w.hop}/${SLICE_BITS}`));
    ipLines.push(...now.routes.filter((r) => !routes.has(r.dst)).map((r) => `route del ${r.dst} dev ${o.name}`));
    ipLines.push(...now.neigh.filter((n) => !hops.has(n.dst)).map((n) => `neigh del ${n.dst} dev ${o.name}`));
    const entries = new Set(wanted.map((w) => `${w.mac} ${w.address}`));
    fdb.push(...now.fdb.filter((f) => f.dst !== undefined && !entries.has(`${f.mac.toLowerCase()} ${f.dst}`)).map((f) => ['fdb', 'del', f.mac, 'dev', o.name, 'dst', f.dst!, 'self']));
  }
  return { remake, ip: ipLines, fdb };
}

/** The device of that name as the kernel has it, or undefined. */
async function overlayDevice(name: string): Promise<OverlayDevice | undefined> {
  const link = (JSON.parse(await ip(['-d', '-j', 'link', 'show', 'dev', name]).catch(() => '[]')) as Array<{ address?: string; linkinfo?: { info_kind?: string; info_data?: { id?: number; local?: string } } }>)[0];
  if (!link || link.linkinfo?.info_kind !== 'vxlan') return undefined;
  const json = async <T>(p: Promise<string>): Promise<T[]> => JSON.parse((await p).trim() || '[]') as T[];
  return {
    vni: link.linkinfo.info_data?.id ?? -1, local: link.linkinfo.info_data?.local ?? '', mac: link.address ?? '',
    neigh: await json(ip(['-j', 'neigh', 'show', 'dev', name])),
    routes: await json(ip(['-j', 'route', 'show', 'dev', name])),
    fdb: (await json<{ mac: string; dst?: string; flags?: string[] }>(bridgeTool(['-j', 'fdb', 'show', 'dev', name]))).filter((f) => f.flags?.includes('self') && f.dst),
  };
}

/** Make the space's VXLAN device and the routes to its peers' slices, or bring the one there to them in place. */
export async function makeOverlay(o: Overlay): Promise<void> {
  const plan = overlayPlan(await overlayDevice(o.name), o);
  if (plan.remake) await quietly(ip(['link', 'del', o.name]));
  if (plan.ip.length) await ip([], plan.ip);
  for (const args of plan.fdb) await bridgeTool(args);
  // The host routes between the bridge and the device, and answers the dynos' ARP for the other hosts' slices.
  setNetSysctl('ipv4/ip_forward', '1');
  setNetSysctl(`ipv4/conf/${o.bridge}/proxy_arp`, '1');
}

export const removeOverlay = (name: string): Promise<void> => quietly(ip(['link', 'del', name]));
