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
