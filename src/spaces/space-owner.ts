// When the kernel objects of private spaces (bridges, firewall, DNS responders, dynos' namespaces)
// live in another process of this host — the local agent process, so they outlive the server — the
// server tells that process what the spaces should be and asks it for namespaces on them.
import type { EgressRule } from './nft-rules.js';
import type { ZoneEntry } from './dns-zone.js';

export interface SpaceSpec { id: string; name: string; cidr: string; trustedIps: string[]; egressRules: EgressRule[] }

/** An app in a private space, as the host running its dynos needs it (the space, and its name for DNS). */
export interface SpaceApp { id: string; name: string; spaceId: string }

/**
 * What this host's spaces should be, whole: every space and which apps are in which. `fresh`: the
 * server has just started, so the namespaces it held (its CI nodes, one-offs) went with its sandboxes.
 */
export interface SpacePlan { spaces: SpaceSpec[]; apps: SpaceApp[]; fresh?: boolean }

/**
 * A host's part in spaces that span hosts (agents allowed to run spaces): its slice of every space's
 * range, its own underlay address (the VXLAN endpoint: the agent's advertised address), the other
 * hosts of the spaces (their underlay addresses and slices), and the spaces' dynos on those hosts
 * (for this host's resolvers). Every space runs on every such host.
 */
export interface SpaceFabric {
  slice: number;
  address: string;
  peers: Array<{ address: string; slice: number }>;
  zone: Array<ZoneEntry & { spaceId: string }>;
}

/** The process that owns the spaces' kernel objects (companion-spaces.ts: over the local agent's socket). */
export interface SpaceOwner {
  /** The prefix of its bridges' names (the host's routes on them are spaces', not foreign). */
  readonly bridgePrefix: string;
  plan(p: SpacePlan): Promise<void>;
  /** A namespace on the space's bridge for a sandbox of this process, until release(id). */
  attach(spaceId: string, id: string): Promise<{ netns: string; address: string }>;
  release(id: string): Promise<void>;
  zone(spaceId: string): Promise<ZoneEntry[]>;
}

/** The plan's spaces and apps in a stable order (so an unchanged plan compares equal). */
export function planKey(p: SpacePlan): string {
  return JSON.stringify({ spaces: [...p.spaces].sort((a, b) => a.id.localeCompare(b.id)), apps: [...p.apps].sort((a, b) => a.id.localeCompare(b.id)) });
}

/**
 * The server's side of spaces another process owns: their specs and the apps in them, sent to the
 * owner whole when they change (nothing before it runs: it is sent whole once it does), and the
 * namespaces of the server's own sandboxes asked of it.
 */
export class RemoteSpaces {
  private specs = new Map<string, SpaceSpec>();
  private apps: SpaceApp[] = [];
  private told?: string;
  private running = false;

  constructor(readonly owner: SpaceOwner) {}

  spec(spaceId: string): SpaceSpec | undefined { return this.specs.get(spaceId); }

  /** The specs as the store has them at a start (the owner adopts what it runs of them). */
  restore(specs: SpaceSpec[]): void { this.specs = new Map(specs.map((s) => [s.id, s])); }

  setApps(apps: SpaceApp[]): Promise<void> { this.apps = apps; return this.tell(); }

  /** A new space; when the owner cannot build it, it is dropped again and the error is thrown. */
  async up(spec: SpaceSpec): Promise<void> {
    this.specs.set(spec.id, spec);
    await this.tell().catch((e: Error) => { this.specs.delete(spec.id); throw e; });
  }

  /** New rules of a known space (false: not known). */
  async update(spec: SpaceSpec): Promise<boolean> {
    if (!this.specs.has(spec.id)) return false;
    this.specs.set(spec.id, spec);
    await this.tell();
    return true;
  }

  down(spaceId: string): Promise<void> { this.specs.delete(spaceId); return this.tell(); }

  /** The owner runs (just started or adopted): it is sent the whole plan, and the namespaces this server held are released. */
  async ready(): Promise<void> {
    this.told = undefined;
    this.running = true;
    await this.tell(true);
  }

  /**
   * One plan at a time, each made when it is sent: the owner applies whole plans, so two sent at once
   * (the app list's refresh every second beside a new space) could be applied out of order, the older
   * last, and take the new space down again while `told` said it was sent.
   */
  private tell(fresh = false): Promise<void> {
    const sent = this.sending.then(() => this.send(fresh));
    this.sending = sent.catch(() => {});
    return sent;
  }

  private sending: Promise<void> = Promise.resolve();

  private async send(fresh: boolean): Promise<void> {
    if (!this.running) return;
    const plan: SpacePlan = { spaces: [...this.specs.values()], apps: this.apps };
    const key = planKey(plan);
    if (key === this.told && !fresh) return;
    this.told = undefined; // until the owner has it: a failed send is sent again by the next change or refresh
    await this.owner.plan({ ...plan, fresh });
    this.told = key;
  }
}
