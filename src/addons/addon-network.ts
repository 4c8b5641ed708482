// Where an add-on server listens: in a namespace of its own on the default network, reachable only
// from its owner's sandboxes (an app's, a test run's: see spaces/default-rules.ts), or on the
// host's loopback when the server runs sandboxes on the host network.
import type { DynoNet } from '../spaces/space-network.js';

export interface AddonNetwork {
  /** A namespace for an add-on of `group` (`app:<id>`, `run:<id>`), at `address` if it is free; undefined on the host network. */
  forAddon(group: string, id: string, address?: string): Promise<DynoNet | undefined>;
  /** A relay for `group` to a server outside the network, at `port` if it is free; undefined on the host network. */
  relayFor(group: string, target: { host: string; port: number }, port?: number): Promise<{ address: string; port: number; release(): Promise<void> } | undefined>;
  /** The namespace of an add-on server an earlier process of this agent left running: taken over (add-on-records.ts). */
  adoptAddon?(group: string, net: { netns: string; address: string }): Promise<DynoNet>;
}

/** Where an add-on is reached: `host` (and `port`, for a relay) go into its URL. */
export interface AddonPlace { host: string; port?: number; netns?: string; release(): Promise<void> }

/** Place one add-on server; `release` gives its namespace back once the server has stopped. */
export async function placeAddon(network: AddonNetwork | undefined, group: string, id: string, address?: string): Promise<AddonPlace> {
  const net = await network?.forAddon(group, id, address);
  return net ? { host: net.address, netns: net.netns, release: () => net.release() } : { host: '127.0.0.1', release: async () => {} };
}

/** The way to a database on the operator's server (`serverUrl`): a relay for the group, else the server itself. */
export async function relayAddon(network: AddonNetwork | undefined, group: string, serverUrl: string, was?: string): Promise<AddonPlace> {
  const u = new URL(serverUrl);
  const r = await network?.relayFor(group, { host: u.hostname, port: Number(u.port || 5432) }, was ? Number(new URL(was).port) || 0 : 0);
  return r ? { host: r.address, port: r.port, release: () => r.release() } : { host: u.hostname, release: async () => {} };
}

/** An add-on URL pointing at its place (a relay's address and port); unchanged for a server reached directly. */
export function placedUrl(url: string, place: AddonPlace): string {
  if (place.port === undefined) return url;
  const u = new URL(url);
  u.hostname = place.host;
  u.port = String(place.port);
  return u.toString();
}

/** The host part of an add-on's URL (where it listened before a restart). */
export function urlHost(url: string): string | undefined {
  try { return new URL(url).hostname || undefined; } catch { return undefined; }
}
