// The live networking of private spaces on this host: one bridge per space (gateway and egress
// addresses on it), one network namespace per dyno with a veth on that bridge, a DNS responder per
// space, and the firewall table. Everything carries this server's tag in its name, so leftovers
// (after a crash) are found and removed at start, and another server on the host is left alone.
import { createHash, randomInt } from 'node:crypto';
import type { Logger } from '../app-context.js';
import { AddressPool, parseCidr, spaceAddresses } from './cidr.js';
import { addBridgeLine } from './bridge.js';
import { startDns, type DnsResponder } from './dns-server.js';
import type { ZoneEntry } from './dns-zone.js';
import { rulesetScript, type EgressRule } from './nft-rules.js';
import type { DefaultNetwork } from './default-network.js';
import { claimTag, orphanTags, releaseTag } from './owners.js';
import { ip, nft, quietly, listLinks, listNetns, listNetnsEtc, writeNetnsEtc, removeNetnsEtc, probeNetAdmin } from './net.js';

export interface SpaceSpec { id: string; name: string; cidr: string; trustedIps: string[]; egressRules: EgressRule[] }

/** A dyno's (or CI node's) place in a space: its namespace and address; release() removes both. */
export interface DynoNet { netns: string; address: string; spaceId: string; release(): Promise<void> }

/**
 * What runtime and CI ask for: a namespace for a sandbox of this app (its space's, else the default
 * network's; undefined only on the host network), for a space, or for a group on the default network.
 */
export interface DynoNetworks {
  forApp(appId: string, id: string, dns?: { process: string; index: number }): Promise<DynoNet | undefined>;
  forSpace(spaceId: string, id: string): Promise<DynoNet>;
  /** The default network for `group` (`app:<id>`: builds; `run:<id>`: test nodes); undefined on the host network. */
  forGroup(group: string, id: string): Promise<DynoNet | undefined>;
}

interface LiveSpace { spec: SpaceSpec; bridge: string; gateway: string; egress: string; prefix: number; pool: AddressPool; dns?: DnsResponder; zone: Map<string, ZoneEntry> }

export class SpaceNetworks implements DynoNetworks {
  readonly tag: string;
  private live = new Map<string, LiveSpace>();
  private apps = new Map<string, { spaceId: string; name: string }>();
  private seq = randomInt(0, 36 ** 4);
  private firewall = Promise.resolve();
  private probed?: Promise<string | undefined>;
  /** Whether this server built any space network (then it sweeps its tag at shutdown). */
  private used = false;

  /** The common runtime's network, when the server isolates it (SLIPWAY_NETWORK). */
  private common?: DefaultNetwork;

  constructor(private o: { dataDir: string; log: Logger }) {
    this.tag = createHash('sha256').update(o.dataDir).digest('hex').slice(0, 4);
  }

  get table(): string { return `slipway_${this.tag}`; }
  get bridgePrefix(): string { return `slw${this.tag}`; }
  private bridgeName(spaceId: string) { return `${this.bridgePrefix}${createHash('sha256').update(spaceId).digest('hex').slice(0, 6)}`; }

  /** Why spaces cannot work here (probed once), or undefined. */
  unavailable(): Promise<string | undefined> { return (this.probed ??= probeNetAdmin()); }

  /** The stable egress address of a space (for spaces:info and /nat); undefined when it is not up. */
  egressOf(spaceId: string): string | undefined { return this.live.get(spaceId)?.egress; }

  nameOf(spaceId: string): string | undefined { return this.live.get(spaceId)?.spec.name; }

  /** Trusted ranges of an app's space, or undefined for the common runtime. */
  trustedFor(spaceId: string): string[] | undefined { return this.live.get(spaceId)?.spec.trustedIps; }

  /** The dynos of a space (for /topology). */
  zone(spaceId: string): ZoneEntry[] { return [...this.live.get(spaceId)?.zone.values() ?? []]; }

  /** Which apps are in which space (refreshed with the router's app list). */
  setApps(apps: Array<{ id: string; name: string; space_id?: string | null }>): void {
    this.apps.clear();
    for (const a of apps) if (a.space_id) this.apps.set(a.id, { spaceId: a.space_id, name: a.name });
  }

  /**
   * Remove every namespace, link, resolv.conf and firewall table of this server's tag, and of any
   * other tag whose server is gone (a crashed server with another data folder): see owners.ts.
   */
  async sweep(): Promise<void> {
    const netns = await listNetns();
    const links = await listLinks();
    const listed = (await nft('list tables\n').catch(() => '')).split('\n');
    const tables = listed.map((l) => / slipway_([0-9a-f]{4})$/.exec(l)?.[1]).filter((t): t is string => !!t);
    const commonTables = listed.map((l) => / slipwaynet_([0-9a-f]{4})$/.exec(l)?.[1]).filter((t): t is string => !!t);
    tables.push(...commonTables.filter((t) => !tables.includes(t)));
    const tags = new Set([this.tag, ...orphanTags(netns, links, tables)]);
    for (const tag of tags) {
      for (const ns of netns) if (ns.startsWith(`slipway-${tag}-`)) await quietly(ip(['netns', 'del', ns]));
      for (const l of links) if (l.startsWith(`slw${tag}`) || l.startsWith(`slv${tag}`) || l.startsWith(`sln${tag}`)) await quietly(ip(['link', 'del', l]));
      for (const d of listNetnsEtc()) if (d.startsWith(`slipway-${tag}-`)) removeNetnsEtc(d);
      if (tables.includes(tag)) await quietly(nft(`delete table inet slipway_${tag}\n`));
      if (commonTables.includes(tag)) await quietly(nft(`delete table inet slipwaynet_${tag}\n`));
      if (tag !== this.tag) this.o.log.warn(`removed the space networks left behind by a server that is gone (tag ${tag})`);
    }
    releaseTag(this.tag);
  }

  /** After a restart: clear leftovers, then build the network of every existing space again. */
  async restore(spaces: SpaceSpec[]): Promise<void> {
    await this.sweep();
    for (const s of spaces) await this.up(s).catch((e) => this.o.log.error(`space ${s.name}: ${(e as Error).message}`));
  }

  /** Bridge with the gateway and egress addresses, the DNS responder, and the firewall. */
  async up(spec: SpaceSpec): Promise<void> {
    const cidr = parseCidr(spec.cidr)!;
    const a = spaceAddresses(cidr);
    const bridge = this.bridgeName(spec.id);
    this.used = true;
    claimTag(this.tag);
    const s: LiveSpace = { spec, bridge, ...a, pool: new AddressPool(cidr), zone: new Map() };
    await quietly(ip(['link', 'del', bridge]));
    await ip([], [
      addBridgeLine(bridge),
      `addr add ${a.gateway}/${a.prefix} dev ${bridge}`,
      `addr add ${a.egress}/32 dev ${bridge}`,
      `link set ${bridge} up`,
    ]);
    this.live.set(spec.id, s);
    try {
      await this.reloadFirewall();
      s.dns = await startDns(a.gateway, () => s.zone.values());
    } catch (e) {
      await this.down(spec.id);
      throw e;
    }
  }

  /** New trusted ranges or egress rules of a running space. */
  async update(spec: SpaceSpec): Promise<void> {
    const s = this.live.get(spec.id);
    if (!s) return;
    s.spec = spec;
    await this.reloadFirewall();
    await this.onUpdated?.();
  }

  /** Awaited after a space's ranges change (the nginx router rewrites its allow/deny lines). */
  onUpdated?: () => Promise<void>;

  async down(spaceId: string): Promise<void> {
    const s = this.live.get(spaceId);
    if (!s) return;
    this.live.delete(spaceId);
    await s.dns?.close();
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

  forApp(appId: string, id: string, dns?: { process: string; index: number }): Promise<DynoNet | undefined> {
    const app = this.apps.get(appId);
    if (!app) return this.forGroup(`app:${appId}`, id);
    return this.attach(app.spaceId, id, dns && { app: app.name, ...dns });
  }

  forSpace(spaceId: string, id: string): Promise<DynoNet> { return this.attach(spaceId, id); }

  forGroup(group: string, id: string): Promise<DynoNet | undefined> { return this.common ? this.common.attach(group, id) : Promise.resolve(undefined); }

  /** A relay for `group` to a database outside the default network; undefined on the host network. */
  relayFor(group: string, target: { host: string; port: number }, port?: number): Promise<{ address: string; port: number; release(): Promise<void> } | undefined> {
    return this.common ? this.common.relay(group, target, port) : Promise.resolve(undefined);
  }

  /** An add-on server's namespace on the default network (see addons/addon-network.ts). */
  forAddon(group: string, id: string, address?: string): Promise<DynoNet | undefined> {
    return this.common ? this.common.attach(group, id, { addon: true, address }) : Promise.resolve(undefined);
  }

  /** A namespace on the space's bridge: veth, address, default route via the gateway, resolv.conf. */
  private async attach(spaceId: string, id: string, dns?: { app: string; process: string; index: number }): Promise<DynoNet> {
    const s = this.live.get(spaceId);
    if (!s) throw new Error(`the network of space ${spaceId} is not up (see the server log)`);
    const address = s.pool.take();
    if (!address) throw new Error(`space ${s.spec.name} has no free address left`);
    const n = (++this.seq).toString(36).padStart(6, '0').slice(-6);
    const ns = `slipway-${this.tag}-${n}`;
    const hostSide = `slv${this.tag}${n}`;
    const peer = `slp${this.tag}${n}`;
    try {
      writeNetnsEtc(ns, s.gateway);
      await ip([], [`netns add ${ns}`, `link add ${hostSide} type veth peer name ${peer} netns ${ns}`, `link set ${hostSide} master ${s.bridge}`, `link set ${hostSide} up`]);
      await ip(['-n', ns], [`link set ${peer} name eth0`, `addr add ${address}/${s.prefix} dev eth0`, 'link set eth0 up', 'link set lo up', `route add default via ${s.gateway}`]);
    } catch (e) {
      await quietly(ip(['netns', 'del', ns]));
      await quietly(ip(['link', 'del', hostSide]));
      removeNetnsEtc(ns);
      s.pool.give(address);
      throw e;
    }
    if (dns) s.zone.set(id, { ...dns, address });
    let released = false;
    return {
      netns: ns, address, spaceId,
      release: async () => {
        if (released) return;
        released = true;
        s.zone.delete(id);
        await quietly(ip(['netns', 'del', ns]));
        await quietly(ip(['link', 'del', hostSide])); // normally gone with the namespace
        removeNetnsEtc(ns);
        s.pool.give(address);
      },
    };
  }

  /** One firewall reload at a time, each from the current set of spaces. */
  private reloadFirewall(): Promise<void> {
    const next = this.firewall.then(() => nft(rulesetScript(this.table, this.bridgePrefix, process.getuid?.() ?? 0, [...this.live.values()].map((s) => ({
      bridge: s.bridge, cidr: s.spec.cidr, gateway: s.gateway, egress: s.egress, egressRules: s.spec.egressRules,
    }))))).then(() => undefined);
    this.firewall = next.catch(() => undefined);
    return next;
  }
}
