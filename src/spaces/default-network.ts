// The common runtime's network: one bridge per server, one namespace per sandbox (dyno, one-off,
// release phase, build, test node, add-on server) with a /32 routed through the host. The bridge's
// ports are isolated, so namespaces never talk directly: the host's firewall (default-rules.ts)
// lets a group's sandboxes (an app's, a test run's) reach that group's add-ons only, and NATs the
// rest out to the world. Names carry the server's tag, so the spaces sweep removes leftovers.
import fs from 'node:fs';
import type { Logger } from '../app-context.js';
import { AddressPool, contains, formatCidr, formatIp, overlaps, parseCidr, parseIp, type Cidr } from './cidr.js';
import { accessScript, defaultRulesScript } from './default-rules.js';
import { addBridgeLine } from './bridge.js';
import { startDnsRelay, type DnsRelay } from './dns-relay.js';
import { startTcpRelay, type TcpRelay } from './tcp-relay.js';
import { hostRoutes, ip, listLinks, nft, quietly } from './net.js';
import { makeNetns, removeNetns, SpareNetns } from './default-netns.js';
import { claimTag } from './owners.js';
import type { DynoNet } from './space-network.js';

/** Where the default network's /20 is chosen (CGNAT space: never a space's RFC 1918 /16). */
const POOL = parseCidr('100.80.0.0/12')!;
const BLOCK_BITS = 20;
/** Namespaces kept ready: a sandbox start rarely waits for one (see bench/network). */
const SPARES = 2;
/** How long the router's door waits for its port on the gateway to be free. */
const DOOR_RETRY_MS = 10_000;

export interface DefaultNetworkOptions { tag: string; log: Logger; serverUid: number; cidr?: string; dns: string[] }

/** A namespace's place on the default network; `group` is `app:<id>` or `run:<id>`. */
export interface GroupNet extends DynoNet { group: string }

/** A namespace an earlier process left in use (a dyno's, `addon`: an add-on server's), of `group` when known. */
export interface AdoptedPlace { netns: string; address: string; group?: string; addon?: boolean }

export class DefaultNetwork {
  readonly bridge: string;
  readonly table: string;
  private cidr?: Cidr;
  private gateway = '';
  private pool?: AddressPool;
  private dnsRelay?: DnsRelay;
  private seq = 0;
  private spares?: SpareNetns;
  private members = new Map<string, Set<string>>();
  private addons = new Map<string, Set<string>>();
  /** Relay ports on the gateway, by group (tcp-relay.ts). */
  private relays = new Map<string, Set<number>>();
  private firewall = Promise.resolve();
  /** The router offered on the gateway: apps' public names resolve there inside the network. */
  private door?: { domain: string; port: number; relay: TcpRelay };
  /** Namespaces being made for `attach`: awaited by `down`, so none is made after the sweep that follows it. */
  private making = new Set<Promise<unknown>>();
  private closing = false;

  constructor(private o: DefaultNetworkOptions) {
    this.bridge = `sln${o.tag}`;
    this.table = `slipwaynet_${o.tag}`;
  }

  /** The network's range once up (for the start-up line). */
  get range(): string | undefined { return this.cidr && formatCidr(this.cidr); }

  /** A free /20 for this server: the configured one, else the first in the pool from the tag's slot on. */
  private async chooseCidr(): Promise<Cidr> {
    const taken = (await hostRoutes()).filter((r) => r.prefix !== '0.0.0.0/0' && r.dev !== this.bridge).map((r) => parseCidr(r.prefix)).filter((c): c is Cidr => !!c);
    if (this.o.cidr) {
      const c = parseCidr(this.o.cidr)!;
      const clash = taken.find((t) => overlaps(t, c));
      if (clash) throw new Error(`SLIPWAY_NETWORK_CIDR ${this.o.cidr} overlaps ${formatCidr(clash)}, a route of this host; choose a free range`);
      return c;
    }
    const blocks = 2 ** (BLOCK_BITS - POOL.bits);
    const start = parseInt(this.o.tag, 16) % blocks;
    for (let i = 0; i < blocks; i++) {
      const c = { base: POOL.base + ((start + i) % blocks) * 2 ** (32 - BLOCK_BITS), bits: BLOCK_BITS };
      if (!taken.some((t) => overlaps(t, c))) return c;
    }
    throw new Error(`no free /${BLOCK_BITS} is left in ${formatCidr(POOL)}; set SLIPWAY_NETWORK_CIDR to a free range`);
  }

  /**
   * Bridge, forwarding, firewall and DNS relay. `adopting`: the addresses of dynos and add-on servers
   * an earlier process of this agent left running here: the bridge they hang on is kept, their
   * addresses stay theirs, and the firewall lets each group's members reach its add-ons from its first
   * load (an open connection of a dyno to its database is never refused while the agent starts).
   */
  async up(adopting: ReadonlyArray<AdoptedPlace> = []): Promise<void> {
    claimTag(this.o.tag); // before anything is made: another server's sweep leaves a live tag alone
    // Adopting dynos, the range is the one their bridge has (another may be free now, but they are not in it).
    const own = adopting.length ? (await hostRoutes()).find((r) => r.dev === this.bridge && parseCidr(r.prefix)) : undefined;
    const c = this.cidr = own ? parseCidr(own.prefix)! : await this.chooseCidr();
    this.gateway = formatIp(c.base + 1);
    this.pool = new AddressPool(c);
    const kept = adopting.filter((a) => this.pool!.claim(a.address));
    // New namespaces are numbered past the adopted ones.
    for (const a of kept) this.seq = Math.max(this.seq, parseInt(a.netns.slice(`slipway-${this.o.tag}-n`.length), 36) || 0);
    for (const a of kept) if (a.group) this.join(a.addon ? this.addons : this.members, a.group, a.address);
    if (!kept.length) await quietly(ip(['link', 'del', this.bridge]));
    const keepBridge = kept.length > 0 && (await listLinks()).includes(this.bridge);
    await ip([], [...keepBridge ? [] : [addBridgeLine(this.bridge)], `addr replace ${this.gateway}/${c.bits} dev ${this.bridge}`, `link set ${this.bridge} up`]);
    // A kept bridge keeps the host's neighbour entries of the namespaces swept since (an add-on's, which
    // starts again at the same address): forgotten, or the host would send to a gone MAC until they expire.
    if (keepBridge) await quietly(ip(['neigh', 'flush', 'dev', this.bridge]));
    // Forwarding is what NAT needs; redirects would tell a namespace to skip the host's firewall.
    fs.writeFileSync('/proc/sys/net/ipv4/ip_forward', '1');
    fs.writeFileSync(`/proc/sys/net/ipv4/conf/${this.bridge}/send_redirects`, '0');
    fs.writeFileSync(`/proc/sys/net/ipv6/conf/${this.bridge}/disable_ipv6`, '1');
    await nft(defaultRulesScript({ table: this.table, bridge: this.bridge, cidr: formatCidr(c), gateway: this.gateway, serverUid: this.o.serverUid, access: this.accessPairs(), relays: [] }));
    this.dnsRelay = await startDnsRelay(this.gateway, this.o.dns, (name) => (this.door && (name === this.door.domain || name.endsWith(`.${this.door.domain}`)) ? this.gateway : undefined));
    this.spares = new SpareNetns(async () => {
      const address = this.pool?.take();
      return address ? makeNetns(this.o.tag, this.nextId(), this.bridge, this.gateway, address).catch((e: Error) => { this.pool?.give(address); throw e; }) : undefined;
    }, SPARES);
    this.spares.fill();
  }

  /**
   * Sandboxes reach apps as the internet does, through the router: `<app>.<domain>` resolves to the
   * gateway inside the network, where a relay on the router's port passes connections to the router
   * (which sees them from the host, so a space's trusted ranges still decide). Nothing else of the
   * host's is offered.
   */
  async offerRouter(domain: string, router: { host: string; port: number }): Promise<void> {
    if (!this.cidr || this.door) return;
    // A restarted agent offers it again at once: a killed process's socket on the port may linger a moment.
    const relay = await startTcpRelay(this.gateway, router.port, router, DOOR_RETRY_MS);
    this.door = { domain: domain.toLowerCase(), port: relay.port, relay };
    await nft(defaultRulesScript({ table: this.table, bridge: this.bridge, cidr: formatCidr(this.cidr), gateway: this.gateway, serverUid: this.o.serverUid, access: [], relays: [], routerPort: relay.port }));
    await this.reloadAccess();
  }

  /** A namespace being made, awaited by `down` before the sweep. */
  private tracked<T>(p: Promise<T>): Promise<T> {
    this.making.add(p);
    return p.finally(() => this.making.delete(p));
  }

  private nextId(): string { return (++this.seq).toString(36).padStart(6, '0'); }

  /** Bridge and table gone (the namespaces go with their sandboxes, leftovers with the sweep). */
  async down(): Promise<void> {
    this.closing = true;
    await removeNetns(...await this.spares?.close() ?? []);
    await Promise.allSettled([...this.making]);
    await this.dnsRelay?.close();
    this.dnsRelay = undefined;
    await this.door?.relay.close();
    this.door = undefined;
    await quietly(ip(['link', 'del', this.bridge]));
    await quietly(nft(`table inet ${this.table}\ndelete table inet ${this.table}\n`));
  }

  /**
   * A namespace on the network for a sandbox of `group`. An add-on's (`addon: true`) may ask for
   * the address it had before a restart, so the URL its app holds stays right.
   */
  async attach(group: string, id: string, opts: { addon?: boolean; address?: string } = {}): Promise<GroupNet> {
    if (!this.pool || !this.cidr) throw new Error('the default network is not up (see the server log)');
    const wanted = opts.address && parseIp(opts.address);
    const inRange = wanted && contains(this.cidr, wanted);
    const claimed = inRange && this.pool.claim(opts.address!);
    if (inRange && !claimed) await this.spares?.settled();
    if (this.closing) { if (claimed) this.pool.give(opts.address!); throw new Error('the default network is stopping (this host is shutting down)'); }
    // A spare may hold the very address an add-on had before the restart: that one is taken then.
    // Other add-ons take theirs from the top of the range, never a spare's: after a restart the
    // dynos, builds and one-offs started first count up from the bottom, so they cannot take the
    // address an add-on had (it would move, and its app would need a new release with the new URL).
    const spare = claimed || (opts.addon && !inRange) ? undefined : this.spares?.take(inRange ? opts.address : undefined);
    const address = claimed ? opts.address! : spare?.address ?? this.pool.take(opts.addon ? 'top' : 'bottom');
    if (!address) throw new Error('the default network has no free address left');
    const made = spare ?? await this.tracked(makeNetns(this.o.tag, this.nextId(), this.bridge, this.gateway, address).catch((e: Error) => { this.pool?.give(address); throw e; }));
    return this.placed(group, made, opts.addon);
  }

  /** A namespace an earlier process made for a member (or, `addon`, an add-on server) of `group` (its address claimed at `up`): taken over. */
  adopt(group: string, ns: string, address: string, opts: { addon?: boolean } = {}): Promise<GroupNet> {
    const id = ns.slice(`slipway-${this.o.tag}-n`.length);
    if (!ns.startsWith(`slipway-${this.o.tag}-n`)) return Promise.reject(new Error(`${ns} is not a namespace of this network`));
    return this.placed(group, { ns, hostSide: `sln${this.o.tag}${id}`, address }, opts.addon);
  }

  private join(set: Map<string, Set<string>>, group: string, address: string): void {
    if (!set.has(group)) set.set(group, new Set());
    set.get(group)!.add(address);
  }

  /** A namespace of `group` in use: the firewall lets the group reach it (an add-on) or lets it reach the group's add-ons; `release` removes it. */
  private async placed(group: string, made: { ns: string; hostSide: string; address: string }, addon?: boolean): Promise<GroupNet> {
    const set = addon ? this.addons : this.members;
    const address = made.address;
    this.join(set, group, address);
    if (this.hasServices(group)) await this.reloadAccess();
    let released = false;
    return {
      netns: made.ns, address, spaceId: '', group,
      release: async () => {
        if (released) return;
        released = true;
        const mine = set.get(group);
        mine?.delete(address);
        if (mine && !mine.size) set.delete(group);
        if (addon || this.hasServices(group)) await this.reloadAccess();
        await removeNetns(made);
        this.pool?.give(address);
      },
    };
  }

  /**
   * A relay on the gateway to a database outside the network (the operator's Postgres), for the
   * members of `group` only; at `port` when it is free (an app's, again after a restart).
   */
  async relay(group: string, target: { host: string; port: number }, port = 0): Promise<{ address: string; port: number; release(): Promise<void> }> {
    const r = await startTcpRelay(this.gateway, port, target).catch(() => startTcpRelay(this.gateway, 0, target));
    if (!this.relays.has(group)) this.relays.set(group, new Set());
    this.relays.get(group)!.add(r.port);
    await this.reloadAccess();
    return {
      address: this.gateway, port: r.port,
      release: async () => {
        const mine = this.relays.get(group);
        mine?.delete(r.port);
        if (mine && !mine.size) this.relays.delete(group);
        await this.reloadAccess();
        await r.close();
      },
    };
  }

  /** Each group's members to each of its add-ons. */
  private accessPairs(): Array<[string, string]> {
    const pairs: Array<[string, string]> = [];
    for (const [group, addons] of this.addons) for (const m of this.members.get(group) ?? []) for (const a of addons) pairs.push([m, a]);
    return pairs;
  }

  private hasServices(group: string): boolean { return this.addons.has(group) || this.relays.has(group); }

  /** Every member of a group may reach every add-on and relay of that group: nothing else crosses the bridge. */
  private reloadAccess(): Promise<void> {
    const next = this.firewall.then(() => {
      const pairs = this.accessPairs();
      const relays: Array<[string, number]> = [];
      for (const [group, ports] of this.relays) for (const m of this.members.get(group) ?? []) for (const p of ports) relays.push([m, p]);
      return nft(accessScript(this.table, pairs, relays));
    }).then(() => undefined);
    this.firewall = next.catch(() => undefined);
    return next;
  }
}
