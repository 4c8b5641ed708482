// The live networking of private spaces on this host: one bridge per space (gateway and egress
// addresses on it), one network namespace per dyno with a veth on that bridge, a DNS responder per
// space, and the firewall table. Everything carries this process's tag in its name, so leftovers
// (after a crash) are found and removed at start, and another server on the host is left alone.
// With a local agent process, that process owns them (they outlive the server): the server's
// instance then only knows the specs and asks the owner (space-owner.ts).
import { createHash, randomInt } from 'node:crypto';
import type { Logger } from '../app-context.js';
import { AddressPool, parseCidr, spaceAddresses, spaceVni } from './cidr.js';
import { addBridgeLine } from './bridge.js';
import { startDns, type DnsResponder } from './dns-server.js';
import type { ZoneEntry } from './dns-zone.js';
import { rulesetScript } from './nft-rules.js';
import { RemoteSpaces, type SpaceApp, type SpaceFabric, type SpaceOwner, type SpacePlan, type SpaceSpec } from './space-owner.js';
import { makeOverlay, overlayKey, removeOverlay, VXLAN_PORT, type Overlay } from './space-overlay.js';
import type { DefaultNetwork } from './default-network.js';
import { claimTag, holdTag, releaseTag } from './owners.js';
import { sweepNetworks } from './sweep.js';
import { ip, nft, quietly, listLinks, probeNetAdmin } from './net.js';
import { makeSpaceNetns, removeSpaceNetns } from './space-netns.js';
import { meansThisHost } from '../core/this-host-address.js';

export type { SpaceSpec } from './space-owner.js';

/** A dyno's (or CI node's) place in a space: its namespace and address; release() removes both. */
export interface DynoNet { netns: string; address: string; spaceId: string; release(): Promise<void> }

/**
 * What runtime and CI ask for: a namespace for a sandbox of this app (its space's, else the default
 * network's; undefined only on the host network), for a space, or for a group on the default network.
 */
export interface DynoNetworks {
  /** `space`: the space the control plane says the app is in (a dyno's); a host that knows otherwise refuses. */
  forApp(appId: string, id: string, dns?: { process: string; index: number }, space?: string | null): Promise<DynoNet | undefined>;
  forSpace(spaceId: string, id: string): Promise<DynoNet>;
  /** The default network for `group` (`app:<id>`: builds; `run:<id>`: test nodes); undefined on the host network. */
  forGroup(group: string, id: string): Promise<DynoNet | undefined>;
  /** The namespace an earlier process of this agent made for dyno `id` (it still runs there): taken over, released as one made here. */
  adopt?(appId: string, id: string, net: { netns: string; address: string; spaceId: string }, dns?: { process: string; index: number }): Promise<DynoNet>;
}

interface LiveSpace { spec: SpaceSpec; bridge: string; gateway: string; egress: string; prefix: number; pool: AddressPool; dns?: DnsResponder; zone: Map<string, ZoneEntry>; overlay?: string }

/** The tag in the names of the networks a process with this data folder makes (four hex digits). */
export const networkTag = (dataDir: string): string => createHash('sha256').update(dataDir).digest('hex').slice(0, 4);

export class SpaceNetworks implements DynoNetworks {
  readonly tag: string;
  private live = new Map<string, LiveSpace>();
  private apps = new Map<string, SpaceApp>();
  /** When another process owns the spaces' kernel objects: all this one keeps of them. */
  private remote?: RemoteSpaces;
  private seq = randomInt(0, 36 ** 4);
  private firewall = Promise.resolve();
  private probed?: Promise<string | undefined>;
  /** Whether this server built any space network (then it sweeps its tag at shutdown). */
  private used = false;

  /** The common runtime's network, when the server isolates it (SLIPWAY_NETWORK). */
  private common?: DefaultNetwork;

  /** This host's part in spaces that span hosts (an agent allowed to run spaces), once the server said it. */
  private fabric?: SpaceFabric;

  constructor(private o: { dataDir: string; log: Logger }) {
    this.tag = networkTag(o.dataDir);
  }

  get table(): string { return `slipway_${this.tag}`; }
  get bridgePrefix(): string { return this.remote?.owner.bridgePrefix ?? `slw${this.tag}`; }
  private bridgeName(spaceId: string) { return `${this.bridgePrefix}${createHash('sha256').update(spaceId).digest('hex').slice(0, 6)}`; }
  /** The space's VXLAN device (space-overlay.ts): `slx` and the tag, as the bridges are `slw` and the tag. */
  private overlayName(spaceId: string) { return `slx${this.tag}${createHash('sha256').update(spaceId).digest('hex').slice(0, 6)}`; }

  /** Why spaces cannot work here (probed once), or undefined. */
  unavailable(): Promise<string | undefined> { return (this.probed ??= probeNetAdmin()); }

  /** The stable egress address of a space (for spaces:info and /nat); undefined when it is not up. */
  egressOf(spaceId: string): string | undefined {
    const spec = this.remote?.spec(spaceId);
    return spec ? spaceAddresses(parseCidr(spec.cidr)!).egress : this.live.get(spaceId)?.egress;
  }

  private specOf(spaceId: string): SpaceSpec | undefined { return this.remote ? this.remote.spec(spaceId) : this.live.get(spaceId)?.spec; }

  nameOf(spaceId: string): string | undefined { return this.specOf(spaceId)?.name; }

  /** Trusted ranges of an app's space, or undefined for the common runtime. */
  trustedFor(spaceId: string): string[] | undefined { return this.specOf(spaceId)?.trustedIps; }

  /** The dynos of a space (for /topology): this host's, and those the other hosts of the space reported. */
  zone(spaceId: string): Promise<ZoneEntry[]> {
    return this.remote ? this.remote.owner.zone(spaceId) : Promise.resolve(this.entries(spaceId));
  }

  private entries(spaceId: string): ZoneEntry[] {
    const elsewhere = (this.fabric?.zone ?? []).filter((e) => e.spaceId === spaceId).map(({ spaceId: _, ...e }) => e);
    return [...this.live.get(spaceId)?.zone.values() ?? [], ...elsewhere];
  }

  /**
   * This host's part in spaces that span hosts: its slice of every range (addresses are handed out
   * from it from now on), the overlay to the other hosts, and their dynos for the resolvers.
   * Throws what failed, after the rest is done.
   */
  async setFabric(f: SpaceFabric): Promise<void> {
    // Most changes are of the zone only (a dyno came or went on another host): no device nor rule changes then.
    const same = this.fabric && JSON.stringify({ ...this.fabric, zone: [] }) === JSON.stringify({ ...f, zone: [] });
    this.fabric = f;
    if (same && (!this.joined() || [...this.live.values()].every((s) => s.overlay))) return;
    const failed: string[] = [];
    for (const s of this.live.values()) {
      s.pool.narrow(f.slice);
      await this.joinOverlay(s).catch((e: Error) => { failed.push(`the overlay of space ${s.spec.name}: ${e.message}`); });
    }
    // No space up yet (an agent's start, before its plan is applied): the table is left as it is for the bridges it adopts.
    if (this.live.size) await this.reloadFirewall();
    if (failed.length) throw new Error(failed.join('; '));
  }

  /** This host's part in the overlay, when it has one: an agent that reaches the server on loopback (the local agent beside it, by default) has no address its peers reach, and neither builds nor guards one. */
  private joined(): SpaceFabric | undefined {
    const f = this.fabric;
    return f && f.address && !meansThisHost(f.address) ? f : undefined;
  }

  /** The space's VXLAN device and routes to the other hosts' slices, brought up to date in place when they changed. */
  private async joinOverlay(s: LiveSpace): Promise<void> {
    const f = this.joined();
    if (!f) return;
    const o: Overlay = { name: this.overlayName(s.spec.id), spaceId: s.spec.id, vni: spaceVni(parseCidr(s.spec.cidr)!), cidr: parseCidr(s.spec.cidr)!, bridge: s.bridge, local: f.address, peers: f.peers };
    const key = overlayKey(o);
    if (s.overlay === key) return;
    s.overlay = undefined;
    await makeOverlay(o);
    s.overlay = key;
  }

  /** Which apps are in which space (refreshed with the router's app list); an owner elsewhere is told of a change. */
  setApps(apps: Array<{ id: string; name: string; space_id?: string | null }>): Promise<void> {
    this.apps.clear();
    for (const a of apps) if (a.space_id) this.apps.set(a.id, { id: a.id, spaceId: a.space_id, name: a.name });
    return this.remote?.setApps([...this.apps.values()]) ?? Promise.resolve();
  }

  /** From now on the spaces' kernel objects are `owner`'s (the local agent process); this process keeps only their specs. */
  delegate(owner: SpaceOwner): void { this.remote = new RemoteSpaces(owner); }

  /** The owner runs (just started or adopted): it is sent the whole plan, and the namespaces this server held are released. */
  ownerReady(): Promise<void> { return this.remote?.ready() ?? Promise.resolve(); }

  /** The agent's side: make this host's spaces what the plan says, adopting the bridges of a previous process; throws what failed, after the rest is done. */
  async apply(plan: SpacePlan): Promise<void> {
    this.apps = new Map(plan.apps.map((a) => [a.id, a]));
    const wanted = new Map(plan.spaces.map((s) => [s.id, s]));
    for (const id of [...this.live.keys()]) if (!wanted.has(id)) await this.down(id);
    const failed: string[] = [];
    for (const spec of wanted.values()) {
      const s = this.live.get(spec.id);
      if (!s) await this.up(spec).catch((e: Error) => { failed.push(`the network of space ${spec.name} could not be built: ${e.message}`); });
      else if (JSON.stringify(s.spec) !== JSON.stringify(spec)) await this.update(spec);
    }
    if (failed.length) throw new Error(failed.join('; '));
  }

  /** The names of an adopted dyno's namespace, its host-side link and its /etc/netns folder, and of the bridge it hangs on (kept by the sweep at an agent's start). */
  namesOf(net: { netns: string; spaceId: string }): string[] {
    const n = net.netns.slice(`slipway-${this.tag}-`.length);
    return net.spaceId ? [net.netns, `slv${this.tag}${n}`] : [net.netns, `sln${this.tag}${n.slice(1)}`, `sln${this.tag}`];
  }

  /**
   * The networks of this tag are held by these processes too (an agent's dynos and add-on servers,
   * which outlive it): no other server sweeps them while one runs. `who`: whose pids these are (each
   * kind's list replaces its last one).
   */
  holdFor(pids: readonly number[], who: 'dynos' | 'addons' | 'one-offs' = 'dynos'): void {
    this.holders.set(who, pids);
    holdTag(this.tag, [...this.holders.values()].flat());
  }

  private holders = new Map<string, readonly number[]>();

  /** The bridge names of these spaces (kept by the sweep at an agent's start: adopted, not rebuilt). */
  bridgesOf(specs: SpaceSpec[]): Set<string> { return new Set(specs.map((s) => this.bridgeName(s.id))); }

  /**
   * Remove every namespace, link, resolv.conf and firewall table of this process's tag (but the
   * bridges in `keep`, adopted), and of any other tag whose owner is gone: see sweep.ts.
   */
  async sweep(keep: ReadonlySet<string> = new Set()): Promise<void> {
    await sweepNetworks(this.tag, keep, this.o.log);
    releaseTag(this.tag);
  }

  /**
   * After a restart: clear this process's leftovers, then build the network of every existing space
   * again — or, when another process owns them, only note the specs (it adopts its live spaces).
   */
  async restore(spaces: SpaceSpec[]): Promise<void> {
    await this.sweep();
    if (this.remote) { this.remote.restore(spaces); return; }
    for (const s of spaces) await this.up(s).catch((e) => this.o.log.error(`space ${s.name}: ${(e as Error).message}`));
  }

  /** Bridge with the gateway and egress addresses, the DNS responder, and the firewall. */
  async up(spec: SpaceSpec): Promise<void> {
    if (this.remote) return this.remote.up(spec);
    const cidr = parseCidr(spec.cidr)!;
    const a = spaceAddresses(cidr);
    const bridge = this.bridgeName(spec.id);
    this.used = true;
    claimTag(this.tag);
    const s: LiveSpace = { spec, bridge, ...a, pool: new AddressPool(cidr, this.fabric?.slice), zone: new Map() };
    // A previous process's bridge of this space is adopted (its addresses made sure of), not rebuilt.
    const adopt = (await listLinks()).includes(bridge);
    await ip([], [
      ...adopt ? [] : [addBridgeLine(bridge)],
      `addr replace ${a.gateway}/${a.prefix} dev ${bridge}`,
      `addr replace ${a.egress}/32 dev ${bridge}`,
      `link set ${bridge} up`,
    ]);
    if (adopt) this.o.log.info(`space ${spec.name}: adopted its bridge ${bridge}`);
    this.live.set(spec.id, s);
    try {
      await this.joinOverlay(s);
      await this.reloadFirewall();
      s.dns = await startDns(a.gateway, () => this.entries(spec.id));
    } catch (e) {
      await this.down(spec.id);
      throw e;
    }
  }

  /** New trusted ranges or egress rules of a running space. */
  async update(spec: SpaceSpec): Promise<void> {
    if (this.remote) {
      if (!await this.remote.update(spec)) return;
    } else {
      const s = this.live.get(spec.id);
      if (!s) return;
      s.spec = spec;
      await this.reloadFirewall();
    }
    await this.onUpdated?.();
  }

  /** Awaited after a space's ranges change (the nginx router rewrites its allow/deny lines). */
  onUpdated?: () => Promise<void>;

  async down(spaceId: string): Promise<void> {
    if (this.remote) return this.remote.down(spaceId);
    const s = this.live.get(spaceId);
    if (!s) return;
    this.live.delete(spaceId);
    await s.dns?.close();
    await removeOverlay(this.overlayName(spaceId));
    await quietly(ip(['link', 'del', s.bridge]));
    await this.reloadFirewall();
  }

  async shutdown(): Promise<void> {
    for (const id of [...this.live.keys()]) await this.down(id);
    await this.common?.down();
    if (this.used || this.common) await this.sweep();
  }

  /** The common runtime's network is up (its tag claimed, see owners.ts): sandboxes go there. */
  useCommon(common: DefaultNetwork): void { this.common = common; }

  /** Apps' public names reach the router from the common runtime's network too (default-network.ts). */
  offerRouter(domain: string, router: { host: string; port: number }): Promise<void> { return this.common?.offerRouter(domain, router) ?? Promise.resolve(); }

  forApp(appId: string, id: string, dns?: { process: string; index: number }, space?: string | null): Promise<DynoNet | undefined> {
    const app = this.apps.get(appId);
    // A dyno of a space must never start on the common runtime (nor the other way) for want of news.
    if (space !== undefined && (app?.spaceId ?? null) !== space) return Promise.reject(new Error(`this host has not been told yet that app ${appId} is ${space ? `in space ${space}` : 'in the common runtime'}; retrying`));
    if (!app) return this.forGroup(`app:${appId}`, id);
    return this.attach(app.spaceId, id, dns && { app: app.name, ...dns });
  }

  forSpace(spaceId: string, id: string): Promise<DynoNet> { return this.attach(spaceId, id); }

  async adopt(appId: string, id: string, net: { netns: string; address: string; spaceId: string }, dns?: { process: string; index: number }): Promise<DynoNet> {
    if (!net.spaceId) {
      if (!this.common) throw new Error('the default network is not up');
      return this.common.adopt(`app:${appId}`, net.netns, net.address);
    }
    const s = this.live.get(net.spaceId);
    const n = net.netns.slice(`slipway-${this.tag}-`.length);
    if (!s || !net.netns.startsWith(`slipway-${this.tag}-`)) throw new Error(`the network of space ${net.spaceId} is not up here`);
    if (!s.pool.claim(net.address)) throw new Error(`address ${net.address} of space ${s.spec.name} is taken`);
    const app = this.apps.get(appId);
    if (dns && app) s.zone.set(id, { app: app.name, ...dns, address: net.address });
    let released = false;
    return {
      ...net,
      release: async () => {
        if (released) return;
        released = true;
        s.zone.delete(id);
        await removeSpaceNetns({ ns: net.netns, hostSide: `slv${this.tag}${n}` });
        s.pool.give(net.address);
      },
    };
  }

  forGroup(group: string, id: string): Promise<DynoNet | undefined> { return this.common ? this.common.attach(group, id) : Promise.resolve(undefined); }

  /** A relay for `group` to a database outside the default network; undefined on the host network. */
  relayFor(group: string, target: { host: string; port: number }, port?: number): Promise<{ address: string; port: number; release(): Promise<void> } | undefined> {
    return this.common ? this.common.relay(group, target, port) : Promise.resolve(undefined);
  }

  /** An add-on server's namespace an earlier process of this agent left (its address claimed at the default network's start): taken over. */
  adoptAddon(group: string, net: { netns: string; address: string }): Promise<DynoNet> {
    return this.common ? this.common.adopt(group, net.netns, net.address, { addon: true }) : Promise.reject(new Error('the default network is not up'));
  }

  /** An add-on server's namespace on the default network (see addons/addon-network.ts). */
  forAddon(group: string, id: string, address?: string): Promise<DynoNet | undefined> {
    return this.common ? this.common.attach(group, id, { addon: true, address }) : Promise.resolve(undefined);
  }

  /** A namespace on the space's bridge: veth, address, default route via the gateway, resolv.conf. */
  private async attach(spaceId: string, id: string, dns?: { app: string; process: string; index: number }): Promise<DynoNet> {
    if (this.remote) {
      const owner = this.remote.owner;
      const n = await owner.attach(spaceId, id);
      let released = false;
      return { ...n, spaceId, release: async () => { if (!released) { released = true; await owner.release(id); } } };
    }
    const s = this.live.get(spaceId);
    if (!s) throw new Error(`the network of space ${spaceId} is not up (see the log of the process that owns it: the local agent process, or the server)`);
    const address = s.pool.take();
    if (!address) throw new Error(`space ${s.spec.name} has no free address left`);
    const n = (++this.seq).toString(36).padStart(6, '0').slice(-6);
    const made = await makeSpaceNetns({ tag: this.tag, n, bridge: s.bridge, gateway: s.gateway, address, prefix: s.prefix }).catch((e: Error) => { s.pool.give(address); throw e; });
    if (dns) s.zone.set(id, { ...dns, address });
    let released = false;
    return {
      netns: made.ns, address, spaceId,
      release: async () => {
        if (released) return;
        released = true;
        s.zone.delete(id);
        await removeSpaceNetns(made);
        s.pool.give(address);
      },
    };
  }

  /** One firewall reload at a time, each from the current set of spaces. */
  private reloadFirewall(): Promise<void> {
    const f = this.joined();
    const guard = f && { port: VXLAN_PORT, peers: f.peers.map((p) => p.address), devicePrefix: `slx${this.tag}`, sandboxPrefixes: [this.bridgePrefix, `sln${this.tag}`] };
    const next = this.firewall.then(() => nft(rulesetScript(this.table, this.bridgePrefix, process.getuid?.() ?? 0, [...this.live.values()].map((s) => ({
      bridge: s.bridge, cidr: s.spec.cidr, gateway: s.gateway, egress: s.egress, egressRules: s.spec.egressRules, ...f ? { overlay: this.overlayName(s.spec.id) } : {},
    })), guard))).then(() => undefined);
    this.firewall = next.catch(() => undefined);
    return next;
  }
}
