// One namespace on the default network: a veth on the bridge (its port isolated from the others),
// a /32 and routes through the gateway, resolv.conf pointing at the gateway's DNS relay. A few are
// made ahead of time, so a sandbox start takes a ready one instead of waiting for `ip`.
import { ip, quietly, removeNetnsEtc, writeNetnsEtc } from './net.js';

export interface Netns { ns: string; hostSide: string; address: string }

/** Create the namespace `slipway-<tag>-n<id>` at `address` (removed again if any step fails). */
export async function makeNetns(tag: string, id: string, bridge: string, gateway: string, address: string): Promise<Netns> {
  const n: Netns = { ns: `slipway-${tag}-n${id}`, hostSide: `sln${tag}${id}`, address };
  try {
    writeNetnsEtc(n.ns, gateway);
    await ip([], [`netns add ${n.ns}`, `link add ${n.hostSide} type veth peer name eth0 netns ${n.ns}`, `link set ${n.hostSide} master ${bridge}`,
      `link set dev ${n.hostSide} type bridge_slave isolated on`, `link set ${n.hostSide} up`]);
    await ip(['-n', n.ns], [`addr add ${address}/32 dev eth0`, 'link set eth0 up', 'link set lo up', `route add ${gateway} dev eth0`, `route add default via ${gateway}`]);
    return n;
  } catch (e) {
    await removeNetns(n);
    throw e;
  }
}

/**
 * The namespaces, their veths (normally gone with them) and their /etc/netns folders: one `ip` for all
 * (`-force`: each removal is tried whatever the ones before it did).
 */
export async function removeNetns(...list: Netns[]): Promise<void> {
  if (!list.length) return;
  await quietly(ip(['-force'], list.flatMap((n) => [`netns del ${n.ns}`, `link del ${n.hostSide}`])));
  for (const n of list) removeNetnsEtc(n.ns);
}

/** Up to `size` namespaces made ahead; refilled in the background after each one taken. */
export class SpareNetns {
  private ready: Netns[] = [];
  private filling?: Promise<void>;
  private closed = false;

  constructor(private make: () => Promise<Netns | undefined>, private size: number) {}

  /** A ready namespace (at `address`, when given: an add-on's from before a restart), or undefined. */
  take(address?: string): Netns | undefined {
    const i = address ? this.ready.findIndex((n) => n.address === address) : 0;
    const [n] = i >= 0 ? this.ready.splice(i, 1) : [];
    this.fill();
    return n;
  }

  /** Once the namespaces being made are ready (one of them may hold an address someone asks for). */
  settled(): Promise<void> { return this.filling ?? Promise.resolve(); }

  fill(): void {
    if (this.filling || this.closed) return;
    this.filling = (async () => {
      while (!this.closed && this.ready.length < this.size) {
        const n = await this.make().catch(() => undefined);
        if (!n) return;
        this.ready.push(n);
      }
    })().finally(() => { this.filling = undefined; });
  }

  /** Stop refilling; the namespaces not taken, for the caller to remove. */
  async close(): Promise<Netns[]> {
    this.closed = true;
    await this.filling;
    return this.ready.splice(0);
  }
}
