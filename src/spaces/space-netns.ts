// A namespace on a space's bridge, for one dyno (or one-off, release phase, CI node): a veth on the
// bridge, the dyno's address, a default route via the space's gateway, and a resolv.conf naming
// the space's DNS. Names carry the owning process's tag, so a crash's leftovers are swept (sweep.ts).
import { ip, quietly, writeNetnsEtc, removeNetnsEtc } from './net.js';

export interface SpaceNetns { ns: string; hostSide: string }

/** Make namespace number `n` of `tag` on `bridge` at `address`; nothing is left when it fails. */
export async function makeSpaceNetns(o: { tag: string; n: string; bridge: string; gateway: string; address: string; prefix: number }): Promise<SpaceNetns> {
  const made = { ns: `slipway-${o.tag}-${o.n}`, hostSide: `slv${o.tag}${o.n}` };
  const peer = `slp${o.tag}${o.n}`;
  try {
    writeNetnsEtc(made.ns, o.gateway);
    await ip([], [`netns add ${made.ns}`, `link add ${made.hostSide} type veth peer name ${peer} netns ${made.ns}`, `link set ${made.hostSide} master ${o.bridge}`, `link set ${made.hostSide} up`]);
    await ip(['-n', made.ns], [`link set ${peer} name eth0`, `addr add ${o.address}/${o.prefix} dev eth0`, 'link set eth0 up', 'link set lo up', `route add default via ${o.gateway}`]);
  } catch (e) {
    await removeSpaceNetns(made);
    throw e;
  }
  return made;
}

/** The namespace, its veth (normally gone with it) and its /etc/netns folder. */
export async function removeSpaceNetns(n: SpaceNetns): Promise<void> {
  await quietly(ip(['netns', 'del', n.ns]));
  await quietly(ip(['link', 'del', n.hostSide]));
  removeNetnsEtc(n.ns);
}
